"""One supervised training loop on a DeepSpeed ZeRO engine, resumable after a kill.

Written on DeepSpeed's engine directly rather than through HF `Trainer`: on a CPU-only
machine we need gloo, a plain torch AdamW (DeepSpeedCPUAdam JIT-builds for minutes), and a
step-exact resume that later stages (RL, unlearning losses) reuse with their own loss.
"""

from __future__ import annotations

import math
import os
import random
import shutil
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from rulepipe.io import atomic_dir, write_json
from rulepipe.training.data import collate

LossFn = Callable[[torch.nn.Module, dict[str, torch.Tensor]], torch.Tensor]


@dataclass
class TrainConfig:
    epochs: float = 3.0
    learning_rate: float = 1e-4
    micro_batch_size: int = 8
    gradient_accumulation: int = 1
    max_length: int = 256
    warmup_ratio: float = 0.05
    weight_decay: float = 0.0
    scheduler: str = "cosine"
    grad_clip: float = 1.0
    zero_stage: int = 2
    checkpoint_every: int = 50
    keep_checkpoints: int = 1
    log_every: int = 5
    seed: int = 0


def on_cpu() -> bool:
    return not torch.cuda.is_available()


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

    if on_cpu():
        os.environ.setdefault("DS_ACCELERATOR", "cpu")
        skip_shm_comm_build()
    if not dist.is_initialized():
        os.environ.setdefault("RANK", "0")
        os.environ.setdefault("LOCAL_RANK", "0")
        os.environ.setdefault("WORLD_SIZE", "1")
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", str(_free_port()))
        deepspeed.init_distributed(dist_backend="gloo" if on_cpu() else "nccl", verbose=False)
    return dist.get_rank(), dist.get_world_size()


def sft_loss(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    return model(**batch).loss


def deepspeed_config(cfg: TrainConfig, world_size: int) -> dict:
    return {
        "train_micro_batch_size_per_gpu": cfg.micro_batch_size,
        "gradient_accumulation_steps": cfg.gradient_accumulation,
        "train_batch_size": cfg.micro_batch_size * cfg.gradient_accumulation * world_size,
        "gradient_clipping": cfg.grad_clip,
        "zero_optimization": {"stage": cfg.zero_stage},
        "zero_allow_untested_optimizer": True,
        "bf16": {"enabled": not on_cpu() and torch.cuda.is_bf16_supported()},
        "steps_per_print": 10**9,
        "wall_clock_breakdown": False,
    }


def epoch_order(lengths: list[int], epoch: int, seed: int, batch: int, window: int = 32) -> list[int]:
    """A seeded shuffle, then similar lengths grouped into batches (within windows of
    `window` batches) and the batches shuffled: on a CPU, padding costs as much as tokens."""
    rng = random.Random(seed * 1000 + epoch)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    span = batch * window
    batches = []
    for start in range(0, len(order), span):
        chunk = sorted(order[start : start + span], key=lambda i: lengths[i])
        batches += [chunk[i : i + batch] for i in range(0, len(chunk), batch)]
    rng.shuffle(batches)
    return [i for b in batches for i in b]


@dataclass
class Session:
    """A DeepSpeed engine with what the loops need around it."""

    engine: object
    model: torch.nn.Module
    tokenizer: object
    scheduler: object
    rank: int
    world: int
    step: int = 0


def open_session(model_dir: str | Path, cfg: TrainConfig, total_steps: int, checkpoint_dir: Path) -> Session:
    """Load the model, wrap it in a ZeRO engine (AdamW + schedule) and resume from the
    checkpoint directory's latest tag when there is one."""
    import deepspeed
    from transformers import AutoModelForCausalLM, AutoTokenizer, get_scheduler

    rank, world = init_distributed()
    torch.manual_seed(cfg.seed)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    dtype = torch.float32 if on_cpu() else torch.bfloat16
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype)
    model.config.use_cache = False
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    scheduler = get_scheduler(
        cfg.scheduler, optimizer, num_warmup_steps=int(cfg.warmup_ratio * total_steps), num_training_steps=total_steps
    )
    engine, _, _, _ = deepspeed.initialize(
        model=model, optimizer=optimizer, lr_scheduler=scheduler, config=deepspeed_config(cfg, world)
    )
    session = Session(engine, model, tokenizer, scheduler, rank, world)
    if (checkpoint_dir / "latest").exists():
        _, client = engine.load_checkpoint(str(checkpoint_dir))
        session.step = int(client["step"])
        print(f"[train] resumed from {checkpoint_dir} at step {session.step}/{total_steps}", flush=True)
    engine.train()
    return session


def progress(tag: str, step: int, total: int, started: float, first_step: int, **values: float) -> None:
    rate = (time.time() - started) / max(1, step - first_step)
    shown = " ".join(f"{k} {v:.4g}" for k, v in values.items())
    print(f"[{tag}] step {step}/{total} {shown} {rate:.1f}s/step eta {rate * (total - step) / 60:.1f} min", flush=True)


def train(
    model_dir: str | Path,
    rows: list[dict[str, list[int]]],
    out_dir: str | Path,
    cfg: TrainConfig,
    loss_fn: LossFn = sft_loss,
    checkpoint_dir: str | Path | None = None,
) -> dict:
    """Fine-tune the model in `model_dir` on tokenized `rows`; save an HF model to `out_dir`."""
    _, world = init_distributed()
    per_step = cfg.micro_batch_size * cfg.gradient_accumulation * world
    steps_per_epoch = max(1, math.ceil(len(rows) / per_step))
    total_steps = max(1, math.ceil(steps_per_epoch * cfg.epochs))
    checkpoint_dir = Path(checkpoint_dir or f"{out_dir}.ckpt")
    session = open_session(model_dir, cfg, total_steps, checkpoint_dir)
    engine, tokenizer, rank = session.engine, session.tokenizer, session.rank
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    lengths = [len(r["input_ids"]) for r in rows]
    history: list[dict] = []
    step = session.step
    started, first_step = time.time(), step
    while step < total_steps:
        epoch, offset = divmod(step, steps_per_epoch)
        order = epoch_order(lengths, epoch, cfg.seed, per_step)
        chunk = order[offset * per_step : (offset + 1) * per_step]
        mine = chunk[rank::world]
        losses = []
        for micro in range(cfg.gradient_accumulation):
            part = mine[micro * cfg.micro_batch_size : (micro + 1) * cfg.micro_batch_size]
            if not part:
                part = mine[:1] or chunk[:1]
            batch = collate([rows[i] for i in part], pad_id)
            batch = {k: v.to(engine.device) for k, v in batch.items()}
            loss = loss_fn(engine, batch)
            engine.backward(loss)
            engine.step()
            losses.append(loss.item())
        step += 1
        record = {
            "step": step,
            "epoch": step / steps_per_epoch,
            "loss": sum(losses) / len(losses),
            "lr": session.scheduler.get_last_lr()[0],
        }
        history.append(record)
        if rank == 0 and (step % cfg.log_every == 0 or step == total_steps):
            progress(
                "train",
                step,
                total_steps,
                started,
                first_step,
                epoch=record["epoch"],
                loss=record["loss"],
                lr=record["lr"],
            )
        if cfg.checkpoint_every and step % cfg.checkpoint_every == 0 and step < total_steps:
            save_checkpoint(engine, checkpoint_dir, step, cfg.keep_checkpoints)
    log = {
        "config": asdict(cfg),
        "steps": total_steps,
        "examples": len(rows),
        "world_size": world,
        "seconds": time.time() - started,
        "history": history,
    }
    finish(session, out_dir, cfg.zero_stage, log, checkpoint_dir)
    return {"steps": total_steps, "final_loss": history[-1]["loss"] if history else None}


def finish(session: Session, out_dir: str | Path, zero_stage: int, log: dict, checkpoint_dir: Path) -> None:
    """Save the HF model with its log (rank 0), then drop the resume checkpoints."""
    if session.rank == 0:
        _save_hf(session, out_dir, zero_stage, log)
        if checkpoint_dir.exists():
            shutil.rmtree(checkpoint_dir)


def save_checkpoint(engine, checkpoint_dir: Path, step: int, keep: int, extra: dict | None = None) -> None:
    engine.save_checkpoint(str(checkpoint_dir), tag=f"step{step}", client_state={"step": step, **(extra or {})})
    tags = sorted((p for p in checkpoint_dir.glob("step*") if p.is_dir()), key=lambda p: int(p.name[4:]))
    for old in tags[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def full_state_dict(session: Session, zero_stage: int) -> dict[str, torch.Tensor]:
    """The whole model's weights on CPU (gathered from ZeRO-3 partitions when needed)."""
    import deepspeed

    if zero_stage == 3:
        with deepspeed.zero.GatheredParameters(list(session.model.parameters()), modifier_rank=None):
            return {k: v.detach().cpu().clone() for k, v in session.model.state_dict().items()}
    return {k: v.detach().cpu() for k, v in session.engine.module.state_dict().items()}


def _save_hf(session: Session, out_dir: str | Path, zero_stage: int, log: dict) -> None:
    state = full_state_dict(session, zero_stage)
    session.model.config.use_cache = True
    with atomic_dir(out_dir) as scratch:
        session.engine.module.save_pretrained(scratch, state_dict=state, safe_serialization=True)
        session.tokenizer.save_pretrained(scratch)
        write_json(scratch / "train_log.json", log)
