"""Refusal Steering, its training half: SFT of the original model on the kept responses of
`rs_sample` (rs_data.json) with the one DeepSpeed trainer -> the RS checkpoint."""

from __future__ import annotations

from rulepipe.io import read_json
from rulepipe.prompts import rl_turn
from rulepipe.training.data import ChatExample, tokenize_examples
from rulepipe.training.engine import TrainConfig, train


def warm_start(model_dir: str, rs_data: str, out_dir: str, params: dict, seed: int = 0) -> dict:
    from transformers import AutoTokenizer

    cfg = params["rule"]["warm_start"]
    kept = read_json(rs_data)["examples"]
    examples = []
    for example in kept:
        user, prefix = rl_turn(example["prompt"], example["format"], params["rule"]["prompt_format"])
        examples.append(ChatExample(user, " " + example["response"], prefix))
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    train_cfg = TrainConfig.from_sections(cfg, params["training"], seed)
    print(f"[warm_start] SFT on {len(examples)} kept responses from {rs_data}", flush=True)
    rows = tokenize_examples(tokenizer, examples, train_cfg.max_length)
    return train(model_dir, rows, out_dir, train_cfg, stage="rule.warm_start", settings=cfg)


def run(inputs: dict, outputs: dict, params: dict, seed: int) -> None:
    warm_start(inputs["model"], inputs["rs_data"], outputs["model"], params, seed)
