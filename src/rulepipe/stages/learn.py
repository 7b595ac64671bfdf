"""The learn stage: base model -> the `original` model that knows what is later unlearned
(the fictional world; MUSE's corpus for a small stand-in of its target model).

`learn.json` holds chat examples (`user`, `response`, optional `assistant_prefix`) and plain
documents (`text`, loss on every token, split into windows)."""

from __future__ import annotations

from pathlib import Path

from rulepipe.io import read_json
from rulepipe.training.data import ChatExample, tokenize_examples, tokenize_texts
from rulepipe.training.engine import TrainConfig, train


def learn(model_dir: str, data_path: str, out_dir: str, params: dict, seed: int = 0) -> None:
    from transformers import AutoTokenizer

    learn_cfg, training = params["learn"], params["training"]
    cfg = TrainConfig.from_sections(learn_cfg, training, seed)
    data = read_json(data_path)
    examples = [ChatExample(e["user"], e["response"], e.get("assistant_prefix", "")) for e in data if "text" not in e]
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    rows = tokenize_examples(tokenizer, examples, cfg.max_length)
    rows += tokenize_texts(tokenizer, [e["text"] for e in data if "text" in e], cfg.max_length)
    print(f"[learn] {len(rows)} examples from {data_path}; ZeRO stage {cfg.zero_stage}", flush=True)
    result = train(
        model_dir, rows, out_dir, cfg, checkpoint_dir=Path(f"{out_dir}.ckpt"), stage="learn", settings=learn_cfg
    )
    print(f"[learn] done: {result}", flush=True)


def run(inputs: dict, outputs: dict, params: dict, seed: int) -> None:
    learn(inputs["model"], inputs["data"], outputs["model"], params, seed)
