"""What ReBO's update and PPO's critic share: a rollout as trained on, its padded batch, and the
one collective that gathers a small object from every rank."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Sample:
    """One rollout as trained on: prompt ids, completion ids (with the stop token where it is
    trained), and the advantage of each completion token."""

    prompt: list[int]
    completion: list[int]
    advantages: list[float]


def all_ranks(value, world: int) -> list:
    """Every rank's `value` in rank order (one small object per rank; a collective)."""
    if world == 1:
        return [value]
    import torch.distributed as dist

    gathered = [None] * world
    dist.all_gather_object(gathered, value)
    return gathered


def pack(part: list[Sample], pad_id: int, device):
    """Right-padded prompt + completion ids, attention, the mask of positions that predict a
    completion token, and those positions' advantages: [batch, width] ([batch, width - 1])."""
    width = max(len(s.prompt) + len(s.completion) for s in part)
    ids = torch.full((len(part), width), pad_id, dtype=torch.long)
    attention = torch.zeros_like(ids)
    mask = torch.zeros((len(part), width - 1))
    advantages = torch.zeros((len(part), width - 1))
    for row, sample in enumerate(part):
        sequence = sample.prompt + sample.completion
        ids[row, : len(sequence)] = torch.tensor(sequence)
        attention[row, : len(sequence)] = 1
        mask[row, len(sample.prompt) - 1 : len(sequence) - 1] = 1  # positions predicting completion tokens
        if sample.advantages:
            advantages[row, len(sample.prompt) - 1 : len(sequence) - 1] = torch.tensor(sample.advantages)
    return ids.to(device), attention.to(device), mask.to(device), advantages.to(device)
