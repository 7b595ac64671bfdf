"""Refusal Steering, its training half: SFT of the original model on the kept responses of
`rs_sample` (rs_data.json) with the one DeepSpeed trainer -> the RS checkpoint."""

from __future__ import annotations

from rulepipe.io import read_json
from rulepipe.prompts import rl_turn
from rulepipe.training.data import ChatExample, tokenize_examples
from rulepipe.training.engine import TrainConfig, engine_options, train


def warm_start(model_dir: str, rs_data: str, out_dir: str, params: dict, seed: int = 0) -> dict:
    from transformers import AutoTokenizer

    cfg = params["rule"]["warm_start"]
    kept = read_json(rs_data)["examples"]
    examples = []
    for example in kept:
        user, prefix = rl_turn(example["prompt"], example["format"], params["rule"]["prompt_format"])
        examples.append(ChatExample(user, " " + example["response"], prefix))
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    train_cfg = TrainConfig(
        epochs=cfg["epochs"],
        learning_rate=cfg["learning_rate"],
        micro_batch_size=cfg["micro_batch_size"],
        max_length=cfg["max_length"],
        warmup_ratio=cfg["warmup_ratio"],
        warmup_steps=cfg["warmup_steps"],
        scheduler="cosine",
        checkpoint_every=cfg["checkpoint_every"],
        seed=seed,
        log_every=1,
        **engine_options(params["training"]),
    )
    print(f"[warm-start] SFT on {len(examples)} kept responses from {rs_data}", flush=True)
    rows = tokenize_examples(tokenizer, examples, train_cfg.max_length)
    return train(model_dir, rows, out_dir, train_cfg, stage="rule.warm_start", settings=cfg)
