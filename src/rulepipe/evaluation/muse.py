"""MUSE's metrics (Shi et al. 2024), on raw text as MUSE's target models are plain LMs.

VerbMem: greedy continuation of a forget-set passage prompt (128 tokens) against the next
  128 gold tokens, ROUGE-L F1 (x100; lower = less verbatim memory).
KnowMem: in-context QA (the release's `_icl` examples as `Question: / Answer:` shots),
  greedy 32 tokens cut at the first blank line, ROUGE-L F1 with the answer (x100), on the
  forget QA (lower is better) and the retain QA (utility, higher is better).
PrivLeak: AUC of telling forget texts from holdout texts by Min-40% (the lowest 40% of token
  log-probabilities), relative to a retrained model's AUC:
  (AUC - AUC_retrain) / AUC_retrain x 100. The AUC is P(forget text looks less like training
  data than a holdout text), so a model that still remembers the forget set scores near -100,
  one that unlearned "too much" is positive, and retraining from scratch is 0.
"""

from __future__ import annotations

from statistics import mean

from rouge_score import rouge_scorer

from rulepipe.evaluation.likelihood import Scorer
from rulepipe.evaluation.mia import auc, score_texts
from rulepipe.generation import Generator, SamplingConfig

AUC_RETRAIN = {"news": 0.4772, "books": 0.5393}  # MUSE's published Min-40% AUCs of the retrained models
_ROUGE = rouge_scorer.RougeScorer(["rougeL"])


def rouge_l_f1(prediction: str, reference: str) -> float:
    return _ROUGE.score(reference, prediction)["rougeL"].fmeasure


def knowmem_prompt(question: str, shots: list[dict]) -> str:
    context = "".join(f"Question: {s['question']}\nAnswer: {s['answer']}\n\n" for s in shots)
    return context + f"Question: {question}\nAnswer: "


def first_answer(output: str) -> str:
    """KnowMem's answer: the generation up to the first blank line (where the next shot would start)."""
    return output.split("\n\n")[0].split("\nQuestion:")[0].strip()


def privleak(auc_value: float, corpus: str) -> float:
    reference = AUC_RETRAIN[corpus]
    return (auc_value - reference) / reference * 100


class MuseRun:
    def __init__(self, scorer: Scorer, generator: Generator, max_model_len: int, prefix: str = ""):
        """`prefix` goes before every prompt and scored text (ICU's unlearning instruction)."""
        self.scorer, self.generator = scorer, generator
        self.tokenizer = generator.tokenizer
        self.max_model_len = max_model_len
        self.prefix = prefix

    def _generate(self, texts: list[str], max_tokens: int) -> list[str]:
        room = self.max_model_len - max_tokens
        prefix = self.tokenizer(self.prefix).input_ids if self.prefix else []
        # a long passage keeps its end, after the prefix
        ids = [
            prefix + self.tokenizer(t, add_special_tokens=not prefix).input_ids[-(room - len(prefix)) :] for t in texts
        ]
        stops = [self.tokenizer.eos_token_id]
        return [c[0].text for c in self.generator.generate(ids, SamplingConfig(max_tokens=max_tokens), stops)]

    def verbmem(self, items: list[dict], max_tokens: int) -> dict:
        outputs = self._generate([it["prompt"] for it in items], max_tokens)
        golds = [
            self.tokenizer.decode(self.tokenizer(it["gt"], add_special_tokens=False).input_ids[:max_tokens])
            for it in items
        ]
        scores = [rouge_l_f1(o, g) for o, g in zip(outputs, golds)]
        return {
            "verbmem_f": 100 * mean(scores),
            "items": [{"output": o, "rouge_l_f1": s} for o, s in zip(outputs, scores)],
        }

    def knowmem(self, qa: list[dict], shots: list[dict], max_tokens: int) -> dict:
        outputs = self._generate([knowmem_prompt(q["question"], shots) for q in qa], max_tokens)
        answers = [first_answer(o) for o in outputs]
        scores = [rouge_l_f1(a, str(q["answer"])) for a, q in zip(answers, qa)]
        return {"score": 100 * mean(scores), "items": [{"answer": a, "rouge_l_f1": s} for a, s in zip(answers, scores)]}

    def privleak(self, forget: list[str], holdout: list[str], k: float, corpus: str, max_tokens: int) -> dict:
        def scores(texts: list[str]) -> list[float]:
            return [s["mink"] for s in score_texts(self.scorer, [self.prefix + t for t in texts], k, max_tokens)]

        value = auc(scores(forget), scores(holdout))
        return {"privleak": privleak(value, corpus), "privleak_auc": value, "auc_retrain": AUC_RETRAIN[corpus]}


def evaluate_muse(run: MuseRun, sets: dict, spec: dict, max_tokens: int) -> dict:
    """The four numbers of MUSE's table (VerbMem, KnowMem forget / retain, PrivLeak)."""
    verb = run.verbmem(sets["verbmem"], spec["verbmem_max_new_tokens"])
    forget = run.knowmem(sets["knowmem_forget"], sets["knowmem_forget_icl"], spec["knowmem_max_new_tokens"])
    retain = run.knowmem(sets["knowmem_retain"], sets["knowmem_retain_icl"], spec["knowmem_max_new_tokens"])
    leak = run.privleak(
        sets["privleak_forget"], sets["privleak_holdout"], spec["privleak_k"], spec["corpus"], max_tokens
    )
    record = {"verbmem_f": verb["verbmem_f"], "knowmem_f": forget["score"], "knowmem_r": retain["score"]} | leak
    record["count"] = {key: len(value) for key, value in sets.items()}
    record["items"] = {"verbmem": verb["items"], "knowmem_forget": forget["items"], "knowmem_retain": retain["items"]}
    return record
