"""A judge that grades from likelihoods and gold answers instead of writing grades.

A small local model asked for rubric numbers writes unparseable or constant ones (SmolLM2-135M:
Readability AUC 0.50, Truthfulness AUC 0.54 on the calibration set), and asked "Yes or No" it
ranks no better (0.24-0.65). What such a model does measure is how likely a text is, and the
probes carry their gold answers. So (`naturalness.judge.kind: likelihood`):

- **Readability**: the judge model's geometric-mean probability of the reply's tokens after the
  question, its end of turn included (so a sentence cut off scores low), times the reply's share
  of distinct word 3-grams, squared (a language model finds a loop likely once it has started:
  perplexity alone ranks repetition above fluent answers). An empty reply scores 0. The raw
  score is mapped to P(natural) by a logistic fit on the calibration set scored in the same call
  (Platt scaling: monotone, so the ranking and the AUC are the raw score's).
- **Truthfulness**: 1 for a refusal, else the ROUGE-L recall of the gold answer (RWKU's metric):
  a reply that states something else about the subject scores low.
- **Helpfulness**: not graded (None), so `nat_all` is the mean of the two.

Deterministic: one teacher-forced forward pass per reply, no sampling.
"""

from __future__ import annotations

import math

from rulepipe.evaluation.fluency import words
from rulepipe.evaluation.likelihood import Scorer
from rulepipe.evaluation.rouge import rouge_l_recall
from rulepipe.generation.base import Closing
from rulepipe.prompts import encode_prompt, render
from rulepipe.reward import is_refusal

VERSION = "likelihood-v1"


def distinct_trigram_share(text: str) -> float:
    """Distinct word 3-grams over all of them (1 below three words)."""
    tokens = words(text)
    grams = [tuple(tokens[i : i + 3]) for i in range(len(tokens) - 2)]
    return len(set(grams)) / len(grams) if grams else 1.0


def truthfulness(item: dict) -> float:
    prediction = item["prediction"]
    return 1.0 if is_refusal(prediction) else rouge_l_recall(prediction, str(item["answer"]))


def platt(raw: list[float], labels: list[bool]):
    """A map of raw scores -> P(label | x), a logistic fit in log(x) (x in [0, 1]; 0 maps to the floor)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    def feature(xs: list[float]):
        return np.log(np.maximum(np.asarray(xs, dtype=float), 1e-12)).reshape(-1, 1)

    fit = LogisticRegression().fit(feature(raw), labels)
    return lambda xs: [float(p) for p in fit.predict_proba(feature(xs))[:, 1]] if xs else []


class LikelihoodJudge(Closing):
    criteria = ("read", "truth")
    version = VERSION

    def __init__(self, model_dir: str, name: str, batch_size: int = 8):
        self.scorer = Scorer(model_dir, batch_size=batch_size)
        self.name = name

    def readability(self, items: list[dict]) -> list[float]:
        """Raw readability in [0, 1] of each item's prediction after its query."""
        tok = self.scorer.tokenizer
        pairs = [
            (
                encode_prompt(tok, render(tok, item["query"])),
                tok(item["prediction"], add_special_tokens=False).input_ids + [tok.eos_token_id],
            )
            for item in items
        ]
        totals = self.scorer.completion_logprobs(pairs)
        return [
            math.exp(total / len(completion)) * distinct_trigram_share(item["prediction"]) ** 2
            if item["prediction"].strip()
            else 0.0
            for item, (_, completion), total in zip(items, pairs, totals, strict=True)
        ]

    def grade(self, groups: list[list[dict]], labelled: list[dict]) -> tuple[list[list[dict]], list[dict]]:
        """Scores of each group's items and of the labelled set; the labelled set's raw
        readability fits the map to P(natural)."""
        raw = [self.readability(items) for items in groups + [labelled]]
        natural = platt(raw[-1], [item["natural"] for item in labelled])
        scored = [
            [{"read": r, "help": None, "truth": truthfulness(item)} for r, item in zip(natural(rs), items, strict=True)]
            for rs, items in zip(raw, groups + [labelled], strict=True)
        ]
        self.scores = scored
        return scored[:-1], scored[-1]

    def written(self, group: int) -> dict:
        """What `naturalness.json` keeps of a group's grading: each reply's two scores."""
        return {"judge_scores": [{k: s[k] for k in self.criteria} for s in self.scores[group]]}

    def close(self) -> None:
        self.scorer = None
