"""Whole weights out of a (possibly partitioned) engine: to save, and to push into vLLM.

Under ZeRO-3 every read of a full tensor is a gather, a collective: every rank calls these,
in step, whichever of them keeps the result.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from rulepipe.training.engine import Session


def full_state_dict(session: Session) -> dict[str, torch.Tensor] | None:
    """The whole model's weights on CPU on rank 0 (None elsewhere). Every rank must call it:
    under ZeRO-3 DeepSpeed consolidates the partitions layer by layer, a collective."""
    if session.zero_stage == 3:
        return session.engine._zero3_consolidated_16bit_state_dict()
    if session.rank != 0:
        return None
    return {k: v.detach().cpu() for k, v in session.engine.module.state_dict().items()}


def partition_report(session: Session) -> dict[str, int]:
    """Parameter elements in the model and those this rank holds (ZeRO-3: its partition)."""
    total = resident = 0
    for param in session.engine.module.parameters():
        full = getattr(param, "ds_numel", param.numel())
        total += full
        resident += param.ds_tensor.numel() if hasattr(param, "ds_tensor") else full
    return {"parameters": total, "resident_on_rank0": resident}


def gathered_parameters(session: Session) -> Iterator[tuple[str, torch.Tensor]]:
    """(HF name, full tensor) one parameter at a time, on the policy's device: what an
    in-place weight push consumes. Under ZeRO-3 each parameter is gathered on every rank
    (all ranks must iterate in step) and copied out before it is partitioned again."""
    import deepspeed

    for name, param in session.engine.module.named_parameters():
        if session.zero_stage == 3:
            with deepspeed.zero.GatheredParameters([param]):
                yield name, param.data.detach().clone()
        else:
            yield name, param.data
