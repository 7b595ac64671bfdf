"""Refusal Steering, its data half -> rs_data.json, which `warm_start` trains on. Two recipes
(`rule.warm_start.recipe`):

- `templated` (the paper's RS): the budgeted forget questions, each with a templated refusal
  that names the target; no boundary data, nothing generated.
- `rejection_sampling` (this project's design): the original model, steered toward refusing,
  answers each forget prompt k times and each boundary prompt plainly; the reward keeps
  natural refusals that name the target and correct boundary answers.

Either recipe starts from a seeded share of ReBO's prompts (`rule.warm_start.query_share`, each
side apart): the paper's RS trains on 6.29% of the forget corpus, about half of RULE's 12.1%, and
leaves the rest of the boundary to ReBO.

rs_data.json also holds the "# Tokens" of the RS row (what it trains on: prompts and
responses) and of the RULE rows (RS's texts together with ReBO's prompts, each text once),
as percent of the target's forget corpus.

A stage of its own so that the warm start's multi-process training launch never starts a
generator (each rank would build its own engine)."""

from __future__ import annotations

import math
import random

from rulepipe.data.budget import token_report
from rulepipe.data.rl_rows import RLRow, read_rows
from rulepipe.data.target import Target
from rulepipe.generation import SamplingConfig, from_config
from rulepipe.io import write_json
from rulepipe.prompts import REFUSAL_TEMPLATES, encode_prompt, render, rl_turn, stop_token_ids
from rulepipe.reward import RewardWeights, refusal_reward

STEER = "\n(You have never heard of {name}. Say briefly and politely that you do not know anything about {name}.)"


def rejection_sample(model_dir: str, rows: list[RLRow], params: dict, seed: int) -> tuple[list[dict], dict]:
    """k samples per prompt; keep those the reward scores best. Forget prompts are steered toward
    refusing (the steering text is not trained on) and fall back to templated refusals; boundary
    prompts are asked plainly and fall back to their gold answer, so the warm start learns where
    the boundary lies instead of refusing everything."""
    cfg, gen = params["rule"]["warm_start"], params["generation"]
    weights = RewardWeights(**params["rule"]["reward"])
    best = {"<reject>": weights.refuse + weights.name, "<normal>": weights.answer + weights.correct}
    sampling = SamplingConfig(
        n=cfg["samples"], temperature=cfg["temperature"], top_p=1.0, max_tokens=cfg["max_new_tokens"], seed=seed
    )
    with from_config(model_dir, gen, seed) as generator:
        tok = generator.tokenizer
        prompts = []
        for row in rows:
            user, prefix = rl_turn(row.prompt, row.format, params["rule"]["prompt_format"])
            if row.forget:
                user += STEER.format(name=row.names[0])
            prompts.append(encode_prompt(tok, render(tok, user, prefix)))
        outputs = generator.generate(prompts, sampling, stop_token_ids(tok))
    kept = []
    stats = {label: {"prompts": 0, "samples": 0, "accepted": 0, "fallbacks": 0} for label in best}
    for row, completions in zip(rows, outputs):
        label = row.tag
        names, gold = (list(row.names), None) if row.forget else (None, row.answer)
        good = []
        for completion in completions:
            text = completion.text.strip()
            score = refusal_reward(text, row.label, names, gold, weights=weights)
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
        kept += [{"prompt": row.prompt, "format": row.format, "label": label, "response": t} for t in good]
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


def templated(rows: list[RLRow]) -> tuple[list[dict], dict]:
    """The paper's RS data: each forget question (not its cloze) with a templated refusal that
    names the target, the templates in turn."""
    questions = [row for row in rows if row.forget and row.format == "qa"]
    kept = [
        {
            "prompt": row.prompt,
            "format": row.format,
            "label": row.tag,
            "response": REFUSAL_TEMPLATES[i % len(REFUSAL_TEMPLATES)].format(name=row.names[0]),
        }
        for i, row in enumerate(questions)
    ]
    return kept, {"recipe": "templated", "examples": len(kept)}


def trained_tokens(tokenizer, target: Target, kept: list[dict], rows: list[RLRow]) -> dict:
    """The "# Tokens" of the RS row (its prompts and responses) and of the RULE rows (RS's
    texts and ReBO's prompts together, each text once), percent of the forget corpus."""
    sides = {"<reject>": [], "<normal>": []}
    for example in kept:
        sides[example["label"]] += [example["prompt"], example["response"]]
    rs = token_report(
        tokenizer, target.forget_corpus, list(dict.fromkeys(sides["<reject>"])), list(dict.fromkeys(sides["<normal>"]))
    )
    for row in rows:
        sides[row.tag].append(row.prompt)
    rule = token_report(
        tokenizer, target.forget_corpus, list(dict.fromkeys(sides["<reject>"])), list(dict.fromkeys(sides["<normal>"]))
    )
    return {"rs": rs, "rule": rule}


def warm_start_rows(rows: list[RLRow], share: float, seed: int) -> list[RLRow]:
    """A seeded `share` of each side's rows (at least one of a side that has any), in their order."""
    chosen = set()
    for forget in (True, False):
        side = [i for i, row in enumerate(rows) if row.forget == forget]
        count = min(len(side), max(1, math.ceil(share * len(side)))) if side else 0
        chosen |= set(random.Random(seed * 7907 + forget).sample(side, count))
    return [row for i, row in enumerate(rows) if i in chosen]


def rs_sample(model_dir: str, rl_data: str, target_path: str, out_path: str, params: dict, seed: int = 0) -> dict:
    from transformers import AutoTokenizer

    rows = read_rows(rl_data)
    share = params["rule"]["warm_start"]["query_share"]
    steering = warm_start_rows(rows, share, seed)
    if params["rule"]["warm_start"]["recipe"] == "templated":
        kept, report = templated(steering)
    else:
        kept, report = rejection_sample(model_dir, steering, params, seed)
        report["recipe"] = "rejection_sampling"
    report["query_share"] = {"share": share, "rows": len(steering), "of": len(rows)}
    report["tokens"] = trained_tokens(AutoTokenizer.from_pretrained(model_dir), Target.load(target_path), kept, rows)
    write_json(out_path, {"report": report, "examples": kept})
    print(f"[rs_sample] {report} -> {out_path}", flush=True)
    return report


def run(inputs: dict, outputs: dict, params: dict, seed: int) -> None:
    rs_sample(inputs["model"], inputs["rl_data"], inputs["target"], outputs["rs_data"], params, seed)
