"""Chat examples -> token ids with the loss on the response only."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from rulepipe.io import DataError
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


def tokenize_texts(tokenizer, texts: list[str], max_length: int) -> list[dict[str, list[int]]]:
    """Plain documents (a forget or retain corpus), loss on every token, split into windows."""
    rows = []
    for text in texts:
        ids = tokenizer(text, add_special_tokens=True).input_ids
        for start in range(0, len(ids), max_length):
            window = ids[start : start + max_length]
            if len(window) > 1:
                rows.append({"input_ids": window, "labels": list(window)})
    return rows


def check_supervision(rows: list[dict[str, list[int]]], stage: str, max_length: int) -> dict[str, int]:
    """Before the first step: the supervised (label) tokens per example. None at all is an
    error (a stage that trains on nothing would save its input model as if it had learned);
    more than 10% of the examples cut to nothing by `max_length` is a printed warning."""
    counts = [sum(1 for t in row["labels"] if t != IGNORE) for row in rows]
    empty = sum(1 for c in counts if c == 0)
    if not counts or sum(counts) == 0:
        raise DataError(
            f"{stage}: nothing to train on: all {len(rows)} examples have no supervised token left after "
            f"truncation to {stage}.max_length = {max_length} (their prompts are longer); raise {stage}.max_length"
        )
    if empty > 0.1 * len(rows):
        print(
            f"[{stage}] warning: {empty} of {len(rows)} examples have no supervised token left after truncation "
            f"to {stage}.max_length = {max_length}; they train nothing",
            flush=True,
        )
    return {"supervised_tokens": sum(counts), "examples_cut_to_nothing": empty}


def with_group(rows: list[dict], group: str, others: list[dict]) -> list[dict]:
    """Attach a second sequence to each row (`retain_`, `rejected_`), cycling `others`."""
    return [
        row | {f"{group}_{key}": value for key, value in others[i % len(others)].items()} for i, row in enumerate(rows)
    ]


def collate(rows: list[dict[str, list[int]]], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-pad a batch to its longest row; each group of keys (`input_ids`, `retain_input_ids`,
    ...) is padded on its own and gets its own attention mask."""
    batch = {}
    for key in rows[0]:
        if not key.endswith("input_ids"):
            continue
        group = key[: -len("input_ids")]
        width = max(len(r[key]) for r in rows)
        input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
        labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
        attention = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            n = len(row[key])
            input_ids[i, :n] = torch.tensor(row[key])
            labels[i, :n] = torch.tensor(row[f"{group}labels"])
            attention[i, :n] = 1
        batch |= {f"{group}input_ids": input_ids, f"{group}labels": labels, f"{group}attention_mask": attention}
    return batch
