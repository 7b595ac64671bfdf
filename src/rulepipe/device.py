"""Where models run: the one place that decides CPU or GPU, and the dtypes there."""

from __future__ import annotations

from contextlib import nullcontext

import torch


def on_cpu() -> bool:
    return not torch.cuda.is_available()


def compute_dtype() -> torch.dtype:
    """The weights' dtype: bf16 on GPUs that have it; fp32 on CPU, where bf16 weights drift
    (updates below their rounding step are lost) and `autocast_dtype` speeds the matmuls instead."""
    return torch.bfloat16 if not on_cpu() and torch.cuda.is_bf16_supported() else torch.float32


def native_cpu_bf16() -> bool:
    """Whether oneDNN has bf16 matmul kernels for this CPU (AVX512-BF16 or AMX); elsewhere bf16
    is emulated and slower than fp32."""
    return torch.backends.mkldnn.is_available() and bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def autocast_dtype(setting: str) -> torch.dtype | None:
    """`training.cpu_autocast` resolved on this machine: the dtype of the training forward passes'
    matmuls on CPU (fp32 weights, gradients and optimizer state), or None for fp32 throughout.
    GPUs train with bf16 weights (`compute_dtype`), so it is None there."""
    if not on_cpu() or setting == "none" or (setting == "auto" and not native_cpu_bf16()):
        return None
    return torch.bfloat16


def forward_precision(dtype: torch.dtype | None):
    """The context for a training forward pass and its loss (not its backward, which follows the
    forward's dtypes by itself): CPU autocast in `dtype`, or nothing."""
    return nullcontext() if dtype is None else torch.autocast("cpu", dtype=dtype)
