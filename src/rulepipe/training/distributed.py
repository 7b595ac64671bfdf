"""Joining (or making) the job's process group: gloo on CPU, NCCL on GPUs, one process or many.

A stage started by `torchrun` joins its launcher's group; a plain one-process run makes a group
of one with a free local port, so that the same DeepSpeed code runs either way.
"""

from __future__ import annotations

import os
import socket
import warnings

import torch

from rulepipe.device import on_cpu


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def skip_shm_comm_build() -> None:
    """Keep DeepSpeed from JIT-building its shared-memory all-reduce op on CPU.

    Its communication backend builds the op whenever it is marked compatible, but only
    inference all-reduce uses it; training reduces gradients over gloo. The build costs
    ~3 min of two cores on a fresh machine, and a build killed half way leaves a lock file
    in ~/.cache/torch_extensions that makes every later DeepSpeed process wait forever.
    DeepSpeed keeps the compatibility table as one module-level dict, so the edit holds.
    """
    import deepspeed.ops

    deepspeed.ops.__compatible_ops__["deepspeed_shm_comm"] = False


def init_distributed() -> tuple[int, int]:
    """Join the launcher's process group, or make a one-process group (gloo on CPU)."""
    import deepspeed
    import torch.distributed as dist

    # DeepSpeed's ZeRO-3 still calls the collectives torch renamed; the notice is noise per step
    warnings.filterwarnings("ignore", message=r".*torch\.distributed\.\w+` is deprecated", category=FutureWarning)
    if on_cpu():
        os.environ.setdefault("DS_ACCELERATOR", "cpu")
        skip_shm_comm_build()
    else:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    if not dist.is_initialized():
        os.environ.setdefault("RANK", "0")
        os.environ.setdefault("LOCAL_RANK", "0")
        os.environ.setdefault("WORLD_SIZE", "1")
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", str(_free_port()))
        deepspeed.init_distributed(dist_backend="gloo" if on_cpu() else "nccl", verbose=False)
    return dist.get_rank(), dist.get_world_size()
