"""Refusal Steering as rejection sampling: the original model, steered toward refusing,
answers each budgeted forget prompt k times; the reward keeps natural refusals that name the
target; the warm start fine-tunes on the kept ones (DeepSpeed trainer) -> the RS checkpoint."""

from __future__ import annotations

from pathlib import Path

from rulepipe.generation import SamplingConfig, make_generator
from rulepipe.io import read_json, write_json
from rulepipe.prompts import encode_prompt, render, rl_turn, stop_token_ids
from rulepipe.reward import RewardWeights, refusal_reward
from rulepipe.training.data import ChatExample, tokenize_examples
from rulepipe.training.engine import TrainConfig, train

STEER = "\n(You have never heard of {name}. Say briefly and politely that you do not know anything about {name}.)"


def sample_refusals(model_dir: str, rows: list[dict], params: dict, seed: int) -> tuple[list[dict], dict]:
    cfg, gen = params["rule"]["warm_start"], params["generation"]
    weights = RewardWeights(**params["rule"]["reward"])
    best = weights.refuse + weights.name
    generator = make_generator(
        model_dir,
        gen["backend"],
        seed=seed,
        batch_size=gen["batch_size"],
        gpu_memory_utilization=gen["gpu_memory_utilization"],
        max_model_len=gen["max_model_len"],
    )
    tok = generator.tokenizer
    prompts = []
    for row in rows:
        user, prefix = rl_turn(row["prompt"], row["format"])
        prompts.append(encode_prompt(tok, render(tok, user + STEER.format(name=row["solution"][2]), prefix)))
    sampling = SamplingConfig(
        n=cfg["samples"], temperature=cfg["temperature"], top_p=1.0, max_tokens=cfg["max_new_tokens"], seed=seed
    )
    outputs = generator.generate(prompts, sampling, stop_token_ids(tok))
    generator.close()
    kept, sampled, accepted, fallbacks = [], 0, 0, 0
    for row, completions in zip(rows, outputs):
        name = row["solution"][2]
        good = []
        for completion in completions:
            sampled += 1
            text = completion.text.strip()
            if refusal_reward(text, "reject", [name], weights=weights) >= best and text not in good:
                good.append(text)
        accepted += len(good)
        if not good:
            good = [cfg["fallback_refusal"].format(name=name)]
            fallbacks += 1
        kept += [{"prompt": row["prompt"], "format": row["format"], "response": t} for t in good]
    report = {
        "prompts": len(rows),
        "samples": sampled,
        "accepted": accepted,
        "acceptance_rate": round(accepted / max(sampled, 1), 3),
        "template_fallback_rate": round(fallbacks / max(len(rows), 1), 3),
        "examples": len(kept),
    }
    return kept, report


def warm_start(model_dir: str, rl_data: str, out_dir: str, params: dict, seed: int = 0) -> dict:
    from transformers import AutoTokenizer

    cfg = params["rule"]["warm_start"]
    rows = [r for r in read_json(rl_data) if r["solution"][0] == "<reject>"]
    kept, report = sample_refusals(model_dir, rows, params, seed)
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
