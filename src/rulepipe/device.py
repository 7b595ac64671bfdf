"""Where models run: the one place that decides CPU or GPU, and the dtype there."""

from __future__ import annotations

import torch


def on_cpu() -> bool:
    return not torch.cuda.is_available()


def compute_dtype() -> torch.dtype:
    """fp32 on CPU (bf16 matmuls there are slow and drift), bf16 on GPUs that have it."""
    return torch.bfloat16 if not on_cpu() and torch.cuda.is_bf16_supported() else torch.float32
