"""Refusal Steering as rejection sampling: the original model, steered toward refusing,
answers each budgeted forget prompt k times; the reward keeps natural refusals that name the
target (and, on boundary prompts, correct answers); the warm start fine-tunes on the kept
ones (DeepSpeed trainer) -> the RS checkpoint."""

from __future__ import annotations

from pathlib import Path

from rulepipe.generation import SamplingConfig, from_config
from rulepipe.io import read_json, write_json
from rulepipe.prompts import REFUSAL_TEMPLATES, encode_prompt, render, rl_turn, stop_token_ids
from rulepipe.reward import RewardWeights, refusal_reward
from rulepipe.training.data import ChatExample, tokenize_examples
from rulepipe.training.engine import TrainConfig, train

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


def warm_start(model_dir: str, rl_data: str, out_dir: str, params: dict, seed: int = 0) -> dict:
    from transformers import AutoTokenizer

    cfg = params["rule"]["warm_start"]
    kept, report = rejection_sample(model_dir, read_json(rl_data), params, seed)
    write_json(Path(out_dir).parent / "rs_data.json", {"report": report, "examples": kept})
    print(f"[warm-start] rejection sampling: {report}", flush=True)
    examples = []
    for example in kept:
        user, prefix = rl_turn(example["prompt"], example["format"])
        examples.append(ChatExample(user, " " + example["response"], prefix))
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    train_cfg = TrainConfig(
        epochs=cfg["epochs"],
        learning_rate=cfg["learning_rate"],
        micro_batch_size=cfg["micro_batch_size"],
        max_length=256,
        warmup_ratio=0.1,
        scheduler="cosine",
        checkpoint_every=0,
        zero_stage=params["training"]["zero_stage"],
        seed=seed,
        log_every=1,
    )
    train(model_dir, tokenize_examples(tokenizer, examples, train_cfg.max_length), out_dir, train_cfg)
    return report
