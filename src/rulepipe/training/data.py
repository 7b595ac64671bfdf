"""Chat examples -> token ids with the loss on the response only."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from rulepipe.prompts import encode_prompt, render

IGNORE = -100


@dataclass(frozen=True)
class ChatExample:
    """A user turn, text the assistant turn opens with (e.g. `Answer:`), and the target response."""

    user: str
    response: str
    assistant_prefix: str = ""


def tokenize_examples(tokenizer, examples: list[ChatExample], max_length: int) -> list[dict[str, list[int]]]:
    """Prompt tokens exactly as evaluation builds them, then the response and the end-of-turn token."""
    rows = []
    end = tokenizer.eos_token_id
    for example in examples:
        prompt_ids = encode_prompt(tokenizer, render(tokenizer, example.user, example.assistant_prefix))
        response_ids = tokenizer(example.response, add_special_tokens=False).input_ids + [end]
        input_ids = (prompt_ids + response_ids)[:max_length]
        labels = ([IGNORE] * len(prompt_ids) + response_ids)[:max_length]
        rows.append({"input_ids": input_ids, "labels": labels})
    return rows


def collate(rows: list[dict[str, list[int]]], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad a batch to its longest row."""
    width = max(len(r["input_ids"]) for r in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
    attention = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        n = len(row["input_ids"])
        input_ids[i, :n] = torch.tensor(row["input_ids"])
        labels[i, :n] = torch.tensor(row["labels"])
        attention[i, :n] = 1
    return {"input_ids": input_ids, "labels": labels, "attention_mask": attention}
