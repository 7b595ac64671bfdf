"""Forget and neighbor probes, scored as RWKU's reference evaluation scores them.

Greedy decoding, 30 new tokens, stop at EOS / end-of-turn / newline, ROUGE-L recall of the
gold answer; per level (FB, QA, AA), per AA type, and the averages the paper reports
(forget All = mean of FB, QA, AA; neighbor All = mean of FB, QA).
"""

from __future__ import annotations

import time
from statistics import mean

from rulepipe.data.target import LEVEL_NAMES, Probe, Target
from rulepipe.evaluation.rouge import clean_prediction, rouge_l_recall
from rulepipe.generation import Generator, SamplingConfig
from rulepipe.prompts import encode_prompt, probe_turn, render, stop_token_ids

MAX_NEW_TOKENS = 30


def _mean(values: list[float]) -> float | None:
    return mean(values) if values else None


def score_side(items: list[dict], levels: tuple[str, ...]) -> dict:
    by_level = {LEVEL_NAMES[lv]: _mean([it["rouge_l_recall"] for it in items if it["level"] == lv]) for lv in levels}
    present = [v for v in by_level.values() if v is not None]
    summary = dict(by_level)
    summary["all"] = _mean(present)
    if "3" in levels:
        types = sorted({it["attack"] for it in items if it["level"] == "3"})
        summary["aa_by_type"] = {
            t: _mean([it["rouge_l_recall"] for it in items if it.get("attack") == t]) for t in types
        }
    summary["count"] = {LEVEL_NAMES[lv]: sum(1 for it in items if it["level"] == lv) for lv in levels}
    return summary


def evaluate_target(
    generator: Generator, target: Target, unlearn_target: str | None = None, max_new_tokens: int = MAX_NEW_TOKENS
) -> dict:
    """Generate for every probe of the target and score them; returns the JSON record."""
    tokenizer = generator.tokenizer
    probes: list[tuple[str, Probe]] = [("forget", p) for p in target.forget_probes]
    probes += [("neighbor", p) for p in target.neighbor_probes]
    prompts = [encode_prompt(tokenizer, render(tokenizer, *probe_turn(p, unlearn_target))) for _, p in probes]
    started = time.time()
    outputs = generator.generate(prompts, SamplingConfig(max_tokens=max_new_tokens), stop_token_ids(tokenizer))
    seconds = time.time() - started
    items = []
    for (side, probe), completions in zip(probes, outputs):
        prediction = clean_prediction(completions[0].text)
        items.append(
            {
                "side": side,
                "level": probe.level,
                "type": probe.type,
                "attack": probe.attack,
                "query": probe.query,
                "answer": probe.answer,
                "neighbor": probe.neighbor,
                "prediction": prediction,
                "rouge_l_recall": rouge_l_recall(prediction, probe.answer),
            }
        )
    return {
        "target": target.target_id,
        "name": target.name,
        "forget": score_side([it for it in items if it["side"] == "forget"], ("1", "2", "3")),
        "neighbor": score_side([it for it in items if it["side"] == "neighbor"], ("1", "2")),
        "generation": {
            "backend": generator.name,
            "greedy": True,
            "max_new_tokens": max_new_tokens,
            "seconds": round(seconds, 2),
            "prompts": len(prompts),
        },
        "items": items,
    }
