"""RWKU's utility sets, prompted and scored as its reference evaluation does.

MMLU: few-shot, argmax of the next-token probability over " A".." D" after `Answer:`.
BBH: chain-of-thought, 256 greedy tokens, the text after "the answer is" up to the next '.',
  exact match after SQuAD normalization. The reference passes the gold *string* where a list of
  aliases is expected, so it compares the prediction with each single character of the gold
  answer ("False" can never match); that behaviour is the named `bbh_char_compat` score.
TruthfulQA: the QA primer, each choice scored by its summed log-probability; MC1 = the first
  true choice beats every false one, MC2 = the probability mass of the true choices.
TriviaQA: five-shot, 30 greedy tokens, EM and token F1, the best over the aliases.
Fluency: 256 greedy tokens for AlpacaEval instructions, weighted 2/3-gram entropy.
Every prompt is a user turn in the model's chat template, as in the reference.
"""

from __future__ import annotations

import math
import re
import string
import time
from collections import Counter
from statistics import mean

from rulepipe.evaluation.fluency import rwku_fluency
from rulepipe.evaluation.likelihood import Scorer
from rulepipe.evaluation.rouge import EMPTY_ANSWER
from rulepipe.generation import Generator, SamplingConfig
from rulepipe.prompts import ICU_INSTRUCTION, encode_prompt, render, stop_token_ids

TASKS = ("mmlu", "bbh", "truthfulqa", "triviaqa", "fluency")
CHOICES = "ABCD"
BBH_INSTRUCTION = "\n\nFollowing previous examples, answer the following questions and end with 'so the answer is'\nQ: "
BBH_ANSWER = re.compile(r"[t|T]he answer is (.*?)\.")
# TruthfulQA's own "QA" primer (Lin et al. 2021), which the reference prepends.
TRUTHFULQA_PRIMER = """Q: What is human life expectancy in the United States?
A: Human life expectancy in the United States is 78 years.

Q: Who was president of the United States in 1955?
A: Dwight D. Eisenhower was president of the United States in 1955.

Q: Which party did he belong to?
A: He belonged to the Republican Party.

Q: What is the square root of banana?
A: I have no comment.

Q: How does a telescope work?
A: Telescopes use lenses or mirrors to focus light and make objects appear closer.

Q: Where were the 1992 Olympics held?
A: The 1992 Olympics were held in Barcelona, Spain."""
TRIVIAQA_SHOTS = """
Q: When did men's figure skating become a summer Olympic sport?
A: 1908
Q: When did the all india workers and peasants party came in to existence?
A: November 1925
Q: Flight that went down in the hudson river?
A: US Airways Flight 1549
Q: Where are most of the world's earthquakes located?
A: Rim of Fire
Q: Csi when do grissom and sara reunite?
A: series finale
Please briefly answer the following question:
"""
TOKENS = {"bbh": 256, "triviaqa": 30, "fluency": 256}


# ---- answer normalization (SQuAD-style, as the reference's EM / F1) ----


def normalize(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, references: list[str]) -> float:
    return float(max(normalize(prediction).split() == normalize(r).split() for r in references))


def token_f1(prediction: str, references: list[str]) -> float:
    def f1(reference: str) -> float:
        pred, gold = normalize(prediction).split(), normalize(reference).split()
        if not pred or not gold:
            return float(pred == gold)
        common = sum((Counter(pred) & Counter(gold)).values())
        if common == 0:
            return 0.0
        precision, recall = common / len(pred), common / len(gold)
        return 2 * precision * recall / (precision + recall)

    return max(f1(r) for r in references)


# ---- prompts ----


def _mmlu_block(item: dict, with_answer: bool) -> str:
    text = "Question: " + item["question"]
    text += "".join(f"\n{letter}. {choice}" for letter, choice in zip(CHOICES, item["choices"]))
    return text + (f"\nAnswer: {CHOICES[int(item['answer'])]}\n\n" if with_answer else "")


def mmlu_user(item: dict) -> str:
    subject = str(item["task"]).replace("_", " ")
    shots = "".join(_mmlu_block(example, True) for example in item["examples"])
    return (
        f"The following are multiple choice questions (with answers) about {subject}.\n\n"
        + shots
        + "Please following the previous examples and answer the given question.\n"
        + _mmlu_block(item, False)
    )


def bbh_user(item: dict) -> str:
    return item["cot"].strip() + BBH_INSTRUCTION + item["question"]


def truthfulqa_user(item: dict) -> str:
    return TRUTHFULQA_PRIMER + "\n\nQ: " + item["question"]


def triviaqa_user(item: dict) -> str:
    return TRIVIAQA_SHOTS + f"Q: {item['question']}\n"


def fluency_user(item: dict) -> str:
    return f"Instruction: {item['instruction']}\n"


def with_a(prompt: str) -> str:
    """BBH's and TruthfulQA's answer cue: `A:` after a newline or space, else ` A:`."""
    return prompt + ("A:" if prompt[-1] in "\n " else " A:")


def bbh_prediction(output: str) -> str:
    found = BBH_ANSWER.search(output)
    prediction = found.group(1).strip() if found else output.strip()
    return prediction or EMPTY_ANSWER


def bbh_char_compat(prediction: str, answer: str) -> float:
    """The reference's behaviour: exact match against each character of the gold string."""
    return exact_match(prediction, list(answer)) if answer else 0.0


def truthfulqa_scores(item: dict, score_of: dict[str, float]) -> tuple[float, float]:
    """(MC1, MC2) of one question from the summed log-probability of each choice."""
    mc1, mc2 = item["mc1_targets"], item["mc2_targets"]
    true1 = [score_of[c] for c, label in zip(mc1["choices"], mc1["labels"]) if label == 1]
    false1 = [score_of[c] for c, label in zip(mc1["choices"], mc1["labels"]) if label != 1]
    mc1_score = float(true1[0] > max(false1))
    true2 = [score_of[c] for c, label in zip(mc2["choices"], mc2["labels"]) if label == 1]
    false2 = [score_of[c] for c, label in zip(mc2["choices"], mc2["labels"]) if label != 1]
    top = max(true2 + false2)  # shift before exp: the ratio is unchanged, nothing underflows to 0/0
    p_true = sum(math.exp(s - top) for s in true2)
    p_false = sum(math.exp(s - top) for s in false2)
    return mc1_score, p_true / (p_true + p_false)


# ---- the runner ----


class UtilityRun:
    """One model's pass over the utility sets: the HF scorer for likelihood tasks, the
    generation backend for the generated ones, the same chat rendering for both."""

    def __init__(self, scorer: Scorer, generator: Generator, max_model_len: int, unlearn_target: str | None = None):
        self.scorer, self.generator = scorer, generator
        self.tokenizer = generator.tokenizer
        self.max_model_len = max_model_len
        self.unlearn_target = unlearn_target
        self.truncated = 0

    def prompt(self, user: str, suffix: str = "") -> str:
        if self.unlearn_target:  # ICU: RWKU prepends its unlearning instruction to every utility prompt too
            user = ICU_INSTRUCTION.format(self.unlearn_target) + user
        return render(self.tokenizer, user) + suffix

    def generate(self, prompts: list[str], max_tokens: int) -> list[str]:
        room = self.max_model_len - max_tokens
        ids = []
        for text in prompts:
            encoded = encode_prompt(self.tokenizer, text)
            if len(encoded) > room:  # keep the end: the question being asked
                self.truncated += 1
                encoded = encoded[-room:]
            ids.append(encoded)
        stops = stop_token_ids(self.tokenizer, newlines=False)
        outputs = self.generator.generate(ids, SamplingConfig(max_tokens=max_tokens), stops)
        return [completions[0].text for completions in outputs]

    def mmlu(self, items: list[dict]) -> dict:
        prompts = [encode_prompt(self.tokenizer, self.prompt(mmlu_user(it), "Answer:")) for it in items]
        candidates = [self.tokenizer.encode(" " + c, add_special_tokens=False)[-1] for c in CHOICES]
        logprobs = self.scorer.next_token_logprobs(prompts, candidates)
        predictions = [max(range(4), key=lambda k: row[k]) for row in logprobs]
        correct = [float(p == int(it["answer"])) for p, it in zip(predictions, items)]
        return {
            "mmlu": mean(correct),
            "items": [{"prediction": CHOICES[p], "correct": c} for p, c in zip(predictions, correct)],
        }

    def bbh(self, items: list[dict], char_compat: bool) -> dict:
        outputs = self.generate([with_a(self.prompt(bbh_user(it))) for it in items], TOKENS["bbh"])
        predictions = [bbh_prediction(o) for o in outputs]
        scores = [exact_match(p, [it["answer"]]) for p, it in zip(predictions, items)]
        result = {"bbh": mean(scores)}
        if char_compat:
            result["bbh_char_compat"] = mean(bbh_char_compat(p, it["answer"]) for p, it in zip(predictions, items))
        result["items"] = [{"output": o, "prediction": p, "em": s} for o, p, s in zip(outputs, predictions, scores)]
        return result

    def truthfulqa(self, items: list[dict]) -> dict:
        pairs, keys = [], []
        for i, item in enumerate(items):
            prompt = with_a(self.prompt(truthfulqa_user(item)))
            prompt_ids = encode_prompt(self.tokenizer, prompt)
            joiner = "" if prompt[-1] in "\n " else " "
            for choice in dict.fromkeys(item["mc2_targets"]["choices"] + item["mc1_targets"]["choices"]):
                full = encode_prompt(self.tokenizer, prompt + joiner + choice)  # as the reference: split by length
                pairs.append((full[: len(prompt_ids)], full[len(prompt_ids) :]))
                keys.append((i, choice))
        scored = self.scorer.continuation_logprobs(pairs)
        by_item: list[dict[str, float]] = [{} for _ in items]
        for (i, choice), score in zip(keys, scored):
            by_item[i][choice] = score
        mc = [truthfulqa_scores(item, scores) for item, scores in zip(items, by_item)]
        return {
            "truthfulqa_mc1": mean(m[0] for m in mc),
            "truthfulqa_mc2": mean(m[1] for m in mc),
            "items": [{"mc1": m[0], "mc2": m[1]} for m in mc],
        }

    def triviaqa(self, items: list[dict]) -> dict:
        outputs = self.generate([self.prompt(triviaqa_user(it), "A:") for it in items], TOKENS["triviaqa"])
        em = [exact_match(o, it["answers"]) for o, it in zip(outputs, items)]
        f1 = [token_f1(o, it["answers"]) for o, it in zip(outputs, items)]
        return {
            "triviaqa_em": mean(em),
            "triviaqa_f1": mean(f1),
            "items": [{"output": o, "em": e, "f1": f} for o, e, f in zip(outputs, em, f1)],
        }

    def fluency(self, items: list[dict]) -> dict:
        outputs = self.generate([self.prompt(fluency_user(it)) for it in items], TOKENS["fluency"])
        return {"fluency": rwku_fluency(outputs), "items": [{"output": o} for o in outputs]}


def evaluate_utility(run: UtilityRun, sets: dict[str, list[dict]], limits: dict, char_compat: bool = False) -> dict:
    """Every utility task the target carries, each cut to its first `limits[task]` items (None = all)."""
    record: dict = {"count": {}, "seconds": {}, "items": {}}
    for task in TASKS:
        items = sets.get(task) or []
        limit = limits.get(task)
        items = items[:limit] if limit is not None else items
        record["count"][task] = len(items)
        if not items:
            continue
        started = time.time()
        result = run.bbh(items, char_compat) if task == "bbh" else getattr(run, task)(items)
        record["items"][task] = result.pop("items")
        record |= result
        record["seconds"][task] = round(time.time() - started, 1)
        scores = ", ".join(f"{k} {v:.3f}" for k, v in result.items())
        print(f"[utility] {task} ({len(items)} items, {record['seconds'][task]} s): {scores}", flush=True)
    record["truncated_prompts"] = run.truncated + run.scorer.truncated
    return record
