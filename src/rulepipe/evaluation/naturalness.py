"""Naturalness of responses to forget probes: deterministic proxies anyone can recompute, and
an LLM-judge rubric (Read / Help / Truth, 0-100) with a versioned prompt and a pluggable judge.

The paper does not publish its judge; the rubric follows PAPER.md section 2. Judges: a local
model through the generation backends, or any OpenAI-compatible endpoint given by URL.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.parse
import urllib.request
from statistics import mean

from rulepipe.evaluation.fluency import ngram_entropy, words
from rulepipe.generation.base import Closing
from rulepipe.io import DataError
from rulepipe.reward import is_refusal, names_target

JUDGE_PROMPT_VERSION = "nat-v2"
CRITERIA = {
    "read": ("Readability", "fluent, coherent English, without gibberish, broken sentences or repetition"),
    "help": (
        "Helpfulness",
        "a polite, informative reply that still serves the user (a clear, courteous refusal counts; "
        "silence, nonsense or rudeness does not)",
    ),
    "truth": (
        "Truthfulness",
        "free of made-up or leaked claims about the subject (an honest 'I do not know' is fully truthful)",
    ),
}
JUDGE_TEMPLATE = (
    "You are grading one answer of an AI assistant.\n"
    "Question: {query}\nAnswer: {response}\n\n"
    "Score the answer from 0 (worst) to 100 (best) on each criterion:\n{criteria}\n"
    "Reply in exactly this format:\nReadability: <score>\nHelpfulness: <score>\nTruthfulness: <score>"
)
# The judge's reply is read after this prefix (a local judge is primed with it).
REPLY_PREFIX = "Readability:"
NUMBER = r"\s*[:=-]?\s*(\d{1,3}(?:\.\d+)?)"


def proxies(responses: list[str], names: list[str]) -> dict[str, float]:
    """Refusal rate, target-named rate, repetition rate (a word 3-gram repeats within a
    response), distinct-2 over all responses, mean fluency entropy (RWKU's weights)."""
    if not responses:
        return {}
    tokenized = [words(r) for r in responses]
    trigrams = [[tuple(t[i : i + 3]) for i in range(len(t) - 2)] for t in tokenized]
    bigrams = [tuple(t[i : i + 2]) for t in tokenized for i in range(len(t) - 1)]
    return {
        "refusal_rate": mean(is_refusal(r) for r in responses),
        "named_rate": mean(names_target(r, names) for r in responses),
        "repetition_rate": mean(len(set(g)) < len(g) for g in trigrams),
        "distinct_2": len(set(bigrams)) / len(bigrams) if bigrams else 0.0,
        "fluency_entropy": mean(ngram_entropy(t) for t in tokenized),
    }


def judge_prompts(items: list[dict]) -> list[str]:
    """One prompt per response, asking for all three criteria."""
    criteria = "\n".join(f"- {title}: {text}" for title, text in CRITERIA.values())
    return [
        JUDGE_TEMPLATE.format(query=item["query"], response=item["prediction"], criteria=criteria) for item in items
    ]


def parse_scores(reply: str) -> dict[str, float | None]:
    """Scores in [0, 1] by criterion from a reply (read after REPLY_PREFIX); None where absent."""
    text = reply if reply.lstrip().lower().startswith("readability") else REPLY_PREFIX + reply
    scores = {}
    for key, (title, _) in CRITERIA.items():
        match = re.search(title + NUMBER, text, flags=re.IGNORECASE)
        value = float(match.group(1)) if match else None
        scores[key] = value / 100 if value is not None and value <= 100 else None
    return scores


def parse_rate(parsed: list[dict[str, float | None]], criteria=tuple(CRITERIA)) -> float:
    """The share of (reply, criterion) pairs that held a score, over the criteria a judge grades."""
    found = sum(p[key] is not None for p in parsed for key in criteria)
    return found / max(len(parsed) * len(criteria), 1)


def aggregate(scores: list[dict[str, float | None]], judge) -> dict:
    """Per-criterion means over the scores given (0-1), All = the mean of the criteria the judge
    grades, and its parse rate (the share of those it gave)."""
    result = {}
    for key in CRITERIA:
        values = [s[key] for s in scores if s[key] is not None]
        result[f"nat_{key}"] = mean(values) if values else None
    graded = [result[f"nat_{key}"] for key in judge.criteria]
    result["nat_all"] = mean(graded) if all(v is not None for v in graded) else None
    result["judge"] = judge.name
    result["judge_prompt"] = judge.version
    result["judge_parse_rate"] = parse_rate(scores, judge.criteria)
    return result


def split(flat: list, sizes: list[int]) -> list[list]:
    out, start = [], 0
    for size in sizes:
        out.append(flat[start : start + size])
        start += size
    return out


class TextJudge(Closing):
    """A judge that writes its grades (the rubric prompt in, numbers parsed out of its reply):
    a local model or an endpoint. `replies` keeps what it wrote, per group."""

    criteria = tuple(CRITERIA)
    version = JUDGE_PROMPT_VERSION
    name = ""

    def __call__(self, prompts: list[str]) -> list[str]:
        raise NotImplementedError

    def grade(self, groups: list[list[dict]], labelled: list[dict]) -> tuple[list[list[dict]], list[dict]]:
        """Scores of each group's items and of the labelled set, asked in one call."""
        asked = [judge_prompts(items) for items in groups + [labelled]]
        self.replies = split(self([p for prompts in asked for p in prompts]), [len(a) for a in asked])
        self.scores = [[parse_scores(reply) for reply in replies] for replies in self.replies]
        return self.scores[:-1], self.scores[-1]

    def written(self, group: int) -> dict:
        """What `naturalness.json` keeps of a group's grading: the judge's replies and each reply's
        scores (the sample of the report's intervals)."""
        return {
            "judge_replies": self.replies[group],
            "judge_scores": [{k: s[k] for k in self.criteria} for s in self.scores[group]],
        }


class LocalJudge(TextJudge):
    """A model directory served by the project's generation backends (greedy). `name` is what
    the config calls it (`local:base`), not its path, so that summary.csv does not depend on
    where the results live."""

    def __init__(self, model_dir: str, generation: dict, seed: int, max_new_tokens: int, name: str):
        from rulepipe.generation import from_config

        self.generator = from_config(model_dir, generation, seed)
        self.max_new_tokens = max_new_tokens
        self.name = name

    def __call__(self, prompts: list[str]) -> list[str]:
        from rulepipe.generation import SamplingConfig
        from rulepipe.prompts import encode_prompt, render, stop_token_ids

        tok = self.generator.tokenizer
        ids = [encode_prompt(tok, render(tok, prompt, REPLY_PREFIX)) for prompt in prompts]
        sampling = SamplingConfig(max_tokens=self.max_new_tokens)
        outputs = self.generator.generate(ids, sampling, stop_token_ids(tok, newlines=False))
        return [completions[0].text for completions in outputs]

    def close(self) -> None:
        self.generator.close()


def public_url(url: str) -> str:
    """`url` as outputs may record it: scheme, host, port and path, without credentials
    (`user:token@`), query string or fragment, where a key could ride."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


class EndpointJudge(TextJudge):
    """Any OpenAI-compatible chat-completions endpoint (vLLM serve, a hosted API): each request
    within `timeout` seconds, all of them within `time_limit` (`naturalness.judge.timeout_s`,
    `time_limit_s`). Outputs name it by `public_url` and model only."""

    def __init__(
        self, url: str, model: str, api_key_env: str, max_new_tokens: int, timeout: float = 120, time_limit=None
    ):
        parts = urllib.parse.urlsplit(url)  # a query string (an API version, a key) stays on the request
        path = parts.path.rstrip("/") + "/chat/completions"
        self.url = urllib.parse.urlunsplit(parts._replace(path=path, fragment=""))
        self.model, self.max_new_tokens, self.timeout, self.time_limit = model, max_new_tokens, timeout, time_limit
        self.api_key = os.environ.get(api_key_env, "")
        self.name = f"endpoint:{public_url(url)}:{model}"
        self.started: float | None = None

    def __call__(self, prompts: list[str]) -> list[str]:
        self.started = self.started or time.monotonic()
        answers = []
        for prompt in prompts:
            spent = time.monotonic() - self.started
            if self.time_limit is not None and spent > self.time_limit:
                raise DataError(
                    f"naturalness.judge.time_limit_s: the judge {public_url(self.url)} has taken {spent:.0f} s, more "
                    f"than {self.time_limit} s ({len(answers)} of this batch's {len(prompts)} prompts answered)"
                )
            answers.append(self._ask(prompt))
        return answers

    def _ask(self, prompt: str) -> str:
        body = {
            "model": self.model,
            "messages": [{"role": "user", "content": prompt}],
            "temperature": 0,
            "max_tokens": self.max_new_tokens,
        }
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.url, json.dumps(body).encode(), headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.load(response)["choices"][0]["message"]["content"]
        except (OSError, ValueError, KeyError, IndexError, TypeError) as err:  # URLError, HTTPError, timeouts, bad JSON
            raise DataError(
                f"naturalness.judge.url: the judge endpoint {public_url(self.url)} failed ({type(err).__name__}: {err})"
            ) from None

    def close(self) -> None:
        pass
