"""Refusal Steering, its sampling half: the original model, steered toward refusing, answers
each budgeted forget prompt k times; the reward keeps natural refusals that name the target
(and, on boundary prompts, correct answers) -> rs_data.json, which `warm_start` trains on.

A stage of its own so that the warm start's multi-process training launch never starts a
generator (each rank would build its own engine)."""

from __future__ import annotations

from rulepipe.generation import SamplingConfig, from_config
from rulepipe.io import read_json, write_json
from rulepipe.prompts import REFUSAL_TEMPLATES, encode_prompt, render, rl_turn, stop_token_ids
from rulepipe.reward import RewardWeights, refusal_reward

STEER = "\n(You have never heard of {name}. Say briefly and politely that you do not know anything about {name}.)"


def rejection_sample(model_dir: str, rows: list[dict], params: dict, seed: int) -> tuple[list[dict], dict]:
    """k samples per prompt; keep those the reward scores best. Forget prompts are steered toward
    refusing (the steering text is not trained on) and fall back to templated refusals; boundary
    prompts are asked plainly and fall back to their gold answer, so the warm start learns where
    the boundary lies instead of refusing everything."""
    cfg, gen = params["rule"]["warm_start"], params["generation"]
    weights = RewardWeights(**params["rule"]["reward"])
    best = {"<reject>": weights.refuse + weights.name, "<normal>": weights.answer + weights.correct}
    generator = from_config(model_dir, gen, seed)
    tok = generator.tokenizer
    prompts = []
    for row in rows:
        user, prefix = rl_turn(row["prompt"], row["format"])
        if row["solution"][0] == "<reject>":
            user += STEER.format(name=row["solution"][2])
        prompts.append(encode_prompt(tok, render(tok, user, prefix)))
    sampling = SamplingConfig(
        n=cfg["samples"], temperature=cfg["temperature"], top_p=1.0, max_tokens=cfg["max_new_tokens"], seed=seed
    )
    outputs = generator.generate(prompts, sampling, stop_token_ids(tok))
    generator.close()
    kept = []
    stats = {label: {"prompts": 0, "samples": 0, "accepted": 0, "fallbacks": 0} for label in best}
    for row, completions in zip(rows, outputs):
        label = row["solution"][0]
        names, gold = (row["solution"][2:], None) if label == "<reject>" else (None, row["solution"][1])
        good = []
        for completion in completions:
            text = completion.text.strip()
            score = refusal_reward(text, label.strip("<>"), names, gold, weights=weights)
            if score >= best[label] and text not in good:
                good.append(text)
        counts = stats[label]
        counts["prompts"] += 1
        counts["samples"] += len(completions)
        counts["accepted"] += len(good)
        if not good:
            fallback = (
                REFUSAL_TEMPLATES[counts["fallbacks"] % len(REFUSAL_TEMPLATES)].format(name=names[0]) if names else gold
            )
            good = [fallback]
            counts["fallbacks"] += 1
        kept += [{"prompt": row["prompt"], "format": row["format"], "label": label, "response": t} for t in good]
    report = {
        label.strip("<>"): {
            **counts,
            "acceptance_rate": round(counts["accepted"] / max(counts["samples"], 1), 3),
            "fallback_rate": round(counts["fallbacks"] / max(counts["prompts"], 1), 3),
        }
        for label, counts in stats.items()
    }
    report["examples"] = len(kept)
    return kept, report


def rs_sample(model_dir: str, rl_data: str, out_path: str, params: dict, seed: int = 0) -> dict:
    kept, report = rejection_sample(model_dir, read_json(rl_data), params, seed)
    write_json(out_path, {"report": report, "examples": kept})
    print(f"[rs-sample] rejection sampling: {report} -> {out_path}", flush=True)
    return report
