"""One supervised training loop on a DeepSpeed ZeRO engine, resumable after a kill.

A resume checkpoint is bound to what made it (`training.checkpoints`): a checkpoint left by
another configuration is discarded with a printed line, never resumed. The step history
travels in the checkpoint, so a resumed run's `train_log.json` is the uninterrupted run's,
byte for byte; what the run cost (seconds, peak memory) goes to `resources.json` beside it.

Written on DeepSpeed's engine directly rather than through HF `Trainer`: on a CPU-only
machine we need gloo, a plain torch AdamW (DeepSpeedCPUAdam JIT-builds for minutes), and a
step-exact resume that later stages (RL, unlearning losses) reuse with their own loss.

The same code runs one CPU process and N GPU ranks. What scale needs is DeepSpeed's own:
ZeRO-3 partitioning from the first load (`training.loading`: one copy of the checkpoint read
per job), CPU offload of optimizer state and parameters, bf16 on GPUs, gradient
checkpointing, and full-weight reads that every rank enters (`training.export`) because
under ZeRO-3 a gather is a collective.
"""

from __future__ import annotations

import math
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import torch

from rulepipe.device import autocast_dtype, compute_dtype, forward_precision, on_cpu
from rulepipe.evaluation.checkpoints import due
from rulepipe.io import DataError, atomic_dir, write_json
from rulepipe.prompts import pad_id
from rulepipe.training.checkpoints import bind_checkpoint, checkpoint_written, fingerprint, save_checkpoint
from rulepipe.training.data import check_supervision, collate
from rulepipe.training.distributed import init_distributed
from rulepipe.training.export import full_state_dict, partition_report
from rulepipe.training.loading import load_model

# (model, batch, reference) -> loss; `reference` is the frozen model where the stage has one
LossFn = Callable[[torch.nn.Module, dict[str, torch.Tensor], torch.nn.Module | None], torch.Tensor]
# the `training` section's keys that shape the engine (num_processes belongs to the launcher)
ENGINE_KEYS = (
    "zero_stage",
    "offload_optimizer",
    "offload_params",
    "gradient_checkpointing",
    "param_persistence_threshold",
    "cpu_autocast",
)


GRAD_CLIP = 1.0  # gradient-norm clip of every stage (RWKU's and the RULE release's)


@dataclass
class TrainConfig:
    """The engine's settings, built from a validated config section (`from_sections`): the
    schema holds every default and its help text, so this class has none of its own."""

    epochs: float
    learning_rate: float
    micro_batch_size: int
    gradient_accumulation: int
    max_length: int
    warmup_ratio: float
    warmup_steps: int | None  # overrides warmup_ratio when set
    weight_decay: float
    scheduler: str
    zero_stage: int
    offload_optimizer: bool
    offload_params: bool
    gradient_checkpointing: bool
    param_persistence_threshold: int | None  # ZeRO-3: params below this many elements stay whole
    cpu_autocast: str  # auto | bf16 | none: the dtype of the forward passes' matmuls on CPU
    checkpoint_every: int
    seed: int

    @classmethod
    def from_sections(cls, section: dict, training: dict, seed: int, **fixed) -> TrainConfig:
        """A stage's section (`learn`, `rule.warm_start`, `baselines`), the `training` section's
        engine keys, the seed, and what the stage fixes itself (a baseline run's learning rate)."""
        names = [f.name for f in fields(cls)]
        values = {name: section[name] for name in names if name in section}
        values |= engine_options(training) | {"seed": seed} | fixed
        missing = [name for name in names if name not in values]
        if missing:
            raise ValueError(f"TrainConfig: no value for {', '.join(missing)} in the section or the stage")
        return cls(**{name: values[name] for name in names})


def engine_options(training: dict) -> dict:
    """TrainConfig fields from the config's validated `training` section."""
    return {key: training[key] for key in ENGINE_KEYS if key in training}


def sft_loss(model: torch.nn.Module, batch: dict[str, torch.Tensor], reference=None) -> torch.Tensor:
    return model(**batch).loss


def zero_config(cfg: TrainConfig) -> dict:
    """DeepSpeed's `zero_optimization` block for the configured stage and offloads."""
    zero: dict = {"stage": cfg.zero_stage}
    if cfg.offload_optimizer and cfg.zero_stage >= 1:
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": not on_cpu()}
    if cfg.zero_stage == 3:
        if cfg.offload_params:
            zero["offload_param"] = {"device": "cpu", "pin_memory": not on_cpu()}
        if cfg.param_persistence_threshold is not None:
            zero["stage3_param_persistence_threshold"] = cfg.param_persistence_threshold
    return zero


def deepspeed_config(cfg: TrainConfig, world_size: int) -> dict:
    return {
        "train_micro_batch_size_per_gpu": cfg.micro_batch_size,
        "gradient_accumulation_steps": cfg.gradient_accumulation,
        "train_batch_size": cfg.micro_batch_size * cfg.gradient_accumulation * world_size,
        "gradient_clipping": GRAD_CLIP,
        "zero_optimization": zero_config(cfg),
        "zero_allow_untested_optimizer": True,
        "bf16": {"enabled": compute_dtype() == torch.bfloat16},
        "steps_per_print": 10**9,
        "wall_clock_breakdown": False,
    }


def make_optimizer(model: torch.nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    """AdamW: DeepSpeed's CPU Adam where the optimizer state is offloaded (ZeRO requires it
    there), else torch's (fused kernels on GPUs; nothing to JIT-build on CPU)."""
    params = [p for p in model.parameters() if p.requires_grad]
    if cfg.offload_optimizer:
        from deepspeed.ops.adam import DeepSpeedCPUAdam

        return DeepSpeedCPUAdam(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay, adamw_mode=True)
    fused = {} if on_cpu() else {"fused": True}
    return torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=cfg.weight_decay, **fused)


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
    zero_stage: int
    ds_config: dict
    autocast: torch.dtype | None = None  # `training.cpu_autocast` as resolved here
    step: int = 0
    history: list = field(default_factory=list)  # the steps' log records up to `step`, from the checkpoint

    def forward_precision(self):
        """The context of a forward pass and its loss: CPU autocast where configured."""
        return forward_precision(self.autocast)


def warmup_steps(cfg: TrainConfig, total_steps: int) -> int:
    return cfg.warmup_steps if cfg.warmup_steps is not None else int(cfg.warmup_ratio * total_steps)


def open_session(
    model_dir: str | Path,
    cfg: TrainConfig,
    total_steps: int,
    checkpoint_dir: Path,
    mark: dict,
    head: str = "lm",
) -> Session:
    """Load the model (`head`: see `load_model`), wrap it in a ZeRO engine (AdamW + schedule)
    and resume from the checkpoint directory's latest tag when there is one that `mark` (a
    `fingerprint`) made."""
    import deepspeed
    from transformers import AutoTokenizer, get_scheduler

    rank, world = init_distributed()
    torch.manual_seed(cfg.seed)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    ds_config = deepspeed_config(cfg, world)
    model = load_model(model_dir, ds_config, head)
    model.config.use_cache = False
    if cfg.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    optimizer = make_optimizer(model, cfg)
    scheduler = get_scheduler(
        cfg.scheduler, optimizer, num_warmup_steps=warmup_steps(cfg, total_steps), num_training_steps=total_steps
    )
    engine, _, _, _ = deepspeed.initialize(model=model, optimizer=optimizer, lr_scheduler=scheduler, config=ds_config)
    autocast = autocast_dtype(cfg.cpu_autocast)
    session = Session(engine, model, tokenizer, scheduler, rank, world, cfg.zero_stage, ds_config, autocast)
    if rank == 0:
        shown = f"{compute_dtype()} weights" + (f", {autocast} autocast" if autocast else "")
        print(f"[train] {shown} (training.cpu_autocast: {cfg.cpu_autocast})", flush=True)
    bind_checkpoint(checkpoint_dir, mark, rank, world)
    if (checkpoint_dir / "latest").exists():
        _, client = engine.load_checkpoint(str(checkpoint_dir))
        session.step = int(client["step"])
        session.history = list(client.get("history", []))[: session.step]
        print(f"[train] resumed from {checkpoint_dir} at step {session.step}/{total_steps}", flush=True)
    engine.train()
    return session


def frozen_reference(model_dir: str | Path, session: Session) -> torch.nn.Module:
    """A frozen copy of a model (the KL / NPO / DPO reference) beside the policy: on the
    policy's device, and under ZeRO-3 partitioned like it (a parameter-only DeepSpeed engine,
    as TRL and OpenRLHF hold their reference models), so it costs 1/N of the weights per rank.
    Its forward passes are collectives there too: every rank calls it as often."""
    import deepspeed

    model = load_model(model_dir, session.ds_config)
    model.eval().requires_grad_(False)
    if session.zero_stage != 3:
        return model.to(session.engine.device)
    zero = {"stage": 3} | {k: v for k, v in session.ds_config["zero_optimization"].items() if k.startswith("stage3_")}
    if "offload_param" in session.ds_config["zero_optimization"]:
        zero["offload_param"] = session.ds_config["zero_optimization"]["offload_param"]
    config = {
        "train_micro_batch_size_per_gpu": 1,
        "zero_optimization": zero,
        "bf16": session.ds_config["bf16"],
        "steps_per_print": 10**9,
    }
    engine, *_ = deepspeed.initialize(model=model, config=config)
    return engine.module.eval()


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
    reference_dir: str | Path | None = None,
    stage: str = "train",
    settings: dict | None = None,
    evaluate: Callable[[Session, int], dict] | None = None,
    eval_every: float = 0,
) -> dict:
    """Fine-tune the model in `model_dir` on tokenized `rows`; save an HF model to `out_dir`.
    With `reference_dir`, the loss also gets that model, frozen (`frozen_reference`). `stage`
    is the config section that owns the settings (`learn`, `baselines`), named in errors;
    `settings`, that section (loss coefficients and all), is bound into the checkpoints.
    `evaluate(session, step)` runs every `eval_every` epochs (rounded to whole steps), the last
    step excepted (every rank calls it); its record joins that step's history (`evaluation`), so
    a resumed run keeps it."""
    supervision = check_supervision(rows, stage, cfg.max_length)
    _, world = init_distributed()
    per_step = cfg.micro_batch_size * cfg.gradient_accumulation * world
    steps_per_epoch = max(1, math.ceil(len(rows) / per_step))
    total_steps = max(1, math.ceil(steps_per_epoch * cfg.epochs))
    eval_steps = max(1, round(eval_every * steps_per_epoch)) if eval_every > 0 else 0
    checkpoint_dir = Path(checkpoint_dir or f"{out_dir}.ckpt")
    mark = fingerprint(cfg, model_dir, rows, settings=settings or {}, reference=str(reference_dir))
    session = open_session(model_dir, cfg, total_steps, checkpoint_dir, mark)
    engine, tokenizer, rank = session.engine, session.tokenizer, session.rank
    reference = frozen_reference(reference_dir, session) if reference_dir else None
    pad = pad_id(tokenizer)
    lengths = [len(r["input_ids"]) for r in rows]
    history: list[dict] = session.history
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
            batch = collate([rows[i] for i in part], pad)
            batch = {k: v.to(engine.device) for k, v in batch.items()}
            with session.forward_precision():
                loss = loss_fn(engine, batch, reference)
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
        if evaluate is not None and due(step, eval_steps, total_steps):
            engine.eval()
            record["evaluation"] = evaluate(session, step)
            engine.train()
        history.append(record)
        if rank == 0 and (step % max(1, total_steps // 50) == 0 or step == total_steps):
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
            save_checkpoint(engine, checkpoint_dir, step, history)
            checkpoint_written(step)
    if not learned_anything(history, world, engine.device):
        raise DataError(
            f"{stage}: the loss was exactly 0 at every one of {len(history)} steps: nothing was learned "
            f"({supervision['supervised_tokens']} supervised tokens); check the data and {stage}.max_length"
        )
    log = {
        "config": asdict(cfg),
        "steps": total_steps,
        "examples": len(rows),
        **supervision,
        "world_size": world,
        "partition": partition_report(session),
        "history": history,
    }
    finish(session, out_dir, log, checkpoint_dir, {"seconds_after_resume": round(time.time() - started, 1)})
    return {"steps": total_steps, "final_loss": history[-1]["loss"] if history else None}


def learned_anything(history: list[dict], world: int, device) -> bool:
    """Whether any rank saw a loss other than exactly 0 (every rank gets the same answer)."""
    nonzero = torch.tensor([float(any(h["loss"] != 0 for h in history))], device=device)
    if world > 1:
        import torch.distributed as dist

        dist.all_reduce(nonzero, op=dist.ReduceOp.MAX)
    return bool(nonzero.item())


def finish(session: Session, out_dir: str | Path, log: dict, checkpoint_dir: Path, resources: dict) -> None:
    """Every rank gathers (a collective under ZeRO-3); rank 0 saves the HF model with its log
    (`train_log.json`, what was learned: the same after a resume) and `resources.json` (what
    it cost), then drops the resume checkpoints once every rank is past them."""
    import torch.distributed as dist

    resources = resources | {
        "peak_gpu_memory_gib": None if on_cpu() else round(torch.cuda.max_memory_allocated() / 2**30, 2)
    }
    state = full_state_dict(session)
    if session.rank == 0:
        session.model.config.use_cache = True
        with atomic_dir(out_dir) as scratch:
            session.engine.module.save_pretrained(scratch, state_dict=state, safe_serialization=True)
            session.tokenizer.save_pretrained(scratch)
            write_json(scratch / "train_log.json", log)
            write_json(scratch / "resources.json", resources)
    if session.world > 1:
        dist.barrier()
    if session.rank == 0 and checkpoint_dir.exists():
        shutil.rmtree(checkpoint_dir)
