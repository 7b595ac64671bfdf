"""Forget and neighbor probes, asked and scored under one of two protocols.

- `rwku`, RWKU's reference evaluation: greedy decoding, 30 new tokens, stop at EOS /
  end-of-turn / newline.
- `rule_release`, the RULE release's in-loop evaluation that produced the paper's table
  (`verl/eval/eval_rwku` in the release): the same templates, but sampled (T 0.95, top-p 0.7,
  top-k 50), up to 1024 tokens, stopping at EOS / end-of-turn only (its vLLM path drops the
  newline stops), and the ICL attack asked as the raw query, without template or `Answer:`.

Both score ROUGE-L recall of the gold answer; per level (FB, QA, AA), per AA type, and the
averages the paper reports (forget All = mean of FB, QA, AA; neighbor All = mean of FB, QA).
"""

from __future__ import annotations

import time
from statistics import mean

from rulepipe.data.target import LEVEL_NAMES, Probe, Target
from rulepipe.evaluation.rouge import clean_prediction, rouge_l_recall
from rulepipe.generation import Generator, SamplingConfig
from rulepipe.prompts import ICU_INSTRUCTION, encode_prompt, probe_turn, render, stop_token_ids

MAX_NEW_TOKENS = 30
PROTOCOLS = ("rwku", "rule_release")


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


def protocol_turn(probe: Probe, protocol: str, unlearn_target: str | None = None) -> tuple[str, str]:
    """(user message, assistant prefix) of a probe under a protocol."""
    if protocol == "rule_release" and probe.type == "incontext learning":
        user = probe.query if not unlearn_target else ICU_INSTRUCTION.format(unlearn_target) + probe.query
        return user, ""
    return probe_turn(probe, unlearn_target)


def protocol_sampling(protocol: str, settings: dict, tokenizer, seed: int) -> tuple[SamplingConfig, list[int]]:
    """The sampling and stop tokens of a protocol. `settings` is the `evaluation` section."""
    if protocol == "rwku":
        return SamplingConfig(max_tokens=settings["max_new_tokens"]), stop_token_ids(tokenizer)
    if protocol == "rule_release":
        release = settings["rule_release"]
        sampling = SamplingConfig(
            temperature=release["temperature"],
            top_p=release["top_p"],
            top_k=release["top_k"],
            max_tokens=release["max_new_tokens"],
            seed=seed,
        )
        return sampling, stop_token_ids(tokenizer, newlines=False)
    raise ValueError(f"evaluation protocol must be one of {PROTOCOLS}, not {protocol!r}")


def evaluate_target(
    generator: Generator,
    target: Target,
    unlearn_target: str | None = None,
    protocol: str = "rwku",
    settings: dict | None = None,
    seed: int = 0,
) -> dict:
    """Generate for every probe of the target under `protocol` and score them; the JSON record."""
    settings = settings or {"max_new_tokens": MAX_NEW_TOKENS}
    tokenizer = generator.tokenizer
    probes: list[tuple[str, Probe]] = [("forget", p) for p in target.forget_probes]
    probes += [("neighbor", p) for p in target.neighbor_probes]
    prompts = [
        encode_prompt(tokenizer, render(tokenizer, *protocol_turn(p, protocol, unlearn_target))) for _, p in probes
    ]
    sampling, stops = protocol_sampling(protocol, settings, tokenizer, seed)
    started = time.time()
    outputs = generator.generate(prompts, sampling, stops)
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
        "protocol": protocol,
        "forget": score_side([it for it in items if it["side"] == "forget"], ("1", "2", "3")),
        "neighbor": score_side([it for it in items if it["side"] == "neighbor"], ("1", "2")),
        "generation": {
            "backend": generator.name,
            "greedy": sampling.greedy,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "top_k": sampling.top_k,
            "max_new_tokens": sampling.max_tokens,
            "stops_at_newline": len(stops) > len(stop_token_ids(tokenizer, newlines=False)),
            "seconds": round(seconds, 2),
            "prompts": len(prompts),
        },
        "items": items,
    }
