"""Sequence log-probabilities, the quantity every preference-style unlearning loss compares."""

from __future__ import annotations

import torch

from rulepipe.rl.algorithms import token_logprobs
from rulepipe.training.data import IGNORE


def forward(model: torch.nn.Module, batch: dict[str, torch.Tensor], group: str = "") -> torch.Tensor:
    return model(input_ids=batch[f"{group}input_ids"], attention_mask=batch[f"{group}attention_mask"]).logits


def sequence_logprob(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(sum of log p over the labelled tokens, number of them) per row."""
    targets = labels[:, 1:]
    mask = targets != IGNORE
    picked = token_logprobs(logits[:, :-1], targets.clamp(min=0))
    return (picked * mask).sum(-1), mask.sum(-1)


def nll(model: torch.nn.Module, batch: dict[str, torch.Tensor], group: str = "") -> torch.Tensor:
    """Mean token negative log-likelihood of the group's labelled tokens."""
    total, count = sequence_logprob(forward(model, batch, group), batch[f"{group}labels"])
    return -total.sum() / count.sum().clamp(min=1)


@torch.no_grad()
def reference_logprob(reference: torch.nn.Module, batch: dict[str, torch.Tensor], group: str = "") -> torch.Tensor:
    return sequence_logprob(forward(reference, batch, group), batch[f"{group}labels"])[0]
