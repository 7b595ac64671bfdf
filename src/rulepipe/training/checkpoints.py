"""Resume checkpoints: what binds one to the run that made it, and writing and sealing it.

A resume checkpoint is bound to what made it (`fingerprint`: the engine settings, the model,
the tokenized data, the training code): a checkpoint left by another configuration is
discarded with a printed line, never resumed (`bind_checkpoint`). Each is sealed once every
rank's partitions are on disk (`training.seal`), so a checkpoint from elsewhere is never
unpickled. `checkpoint_written` is the kill hook the resume tests use.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from rulepipe.io import write_json
from rulepipe.training.seal import seal, unsealed

if TYPE_CHECKING:
    from rulepipe.training.engine import TrainConfig

KEEP_CHECKPOINTS = 1  # resume checkpoints kept per run


def digest(value) -> str:
    """A short content hash of JSON-able data (tokenized rows, a config)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def code_version() -> str:
    """A hash of the package's training-side source (every module but the report's)."""
    root = Path(__file__).resolve().parents[1]
    sha = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        if "report" not in path.relative_to(root).parts:
            sha.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return sha.hexdigest()[:16]


def model_identity(model_dir: str | Path) -> str:
    """Which model files: config and tokenizer by content, weights by name, size and mtime."""
    parts = []
    for path in sorted(Path(model_dir).iterdir()):
        if path.is_file():
            stat = path.stat()
            weights = path.suffix in (".safetensors", ".bin", ".pt")
            content = stat.st_mtime_ns if weights else hashlib.sha256(path.read_bytes()).hexdigest()
            parts.append([path.name, stat.st_size, content])
    return digest(parts)


def fingerprint(cfg: TrainConfig, model_dir: str | Path, data, **extra) -> dict:
    """What a resume checkpoint is bound to: the engine settings, the input model, the data the
    steps draw from, the code, and a stage's own settings (`extra`)."""
    return {
        "config": json.loads(json.dumps(asdict(cfg))),
        "model": model_identity(model_dir),
        "data": digest(data),
        "code": code_version(),
        **{key: json.loads(json.dumps(value, default=str)) for key, value in extra.items()},
    }


def changed(stored: dict | None, current: dict) -> list[str]:
    """The parts of two fingerprints that differ (`config.learning_rate`, `data`, ...)."""
    if stored is None:
        return ["(no fingerprint: written by an older version)"]
    names = []
    for key in sorted(set(stored) | set(current)):
        old, new = stored.get(key), current.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            names += [f"{key}.{k}" for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
        elif old != new:
            names.append(key)
    return names


def barrier(world: int) -> None:
    """Every rank waits here (nothing to wait for in one process)."""
    if world > 1:
        import torch.distributed as dist

        dist.barrier()


def bind_checkpoint(checkpoint_dir: Path, mark: dict, rank: int, world: int) -> None:
    """Keep the checkpoint directory only if `mark` made it: else discard it, saying why, and
    record `mark` for the checkpoints this run writes."""
    stamp = checkpoint_dir / "fingerprint.json"
    if (checkpoint_dir / "latest").exists():
        try:
            stored = json.loads(stamp.read_text(encoding="utf-8")) if stamp.exists() else None
        except ValueError:
            stored = {"(unreadable fingerprint.json)": True}
        differs = changed(stored, mark)
        barrier(world)  # every rank has read it before rank 0 deletes it
        if rank == 0:
            more = " ..." if len(differs) > 8 else ""
            why = f"made with other inputs ({', '.join(differs[:8])}{more} changed)" if differs else None
            why = why or unsealed(checkpoint_dir)  # checked by rank 0 only: it reads every file
            if why:
                print(f"[train] discarding checkpoint {checkpoint_dir}: {why}; starting from step 0", flush=True)
                shutil.rmtree(checkpoint_dir)
        barrier(world)
    if rank == 0 and not (checkpoint_dir / "latest").exists():
        write_json(stamp, mark)
    barrier(world)


def save_checkpoint(engine, checkpoint_dir: Path, step: int, history: list | None = None) -> None:
    """A resume point (collective: every rank writes its own partitions), with the log so far."""
    state = {"step": step, "history": history or []}
    engine.save_checkpoint(str(checkpoint_dir), tag=f"step{step}", client_state=state)
    barrier(engine.world_size)  # every rank's partitions are on disk before rank 0 seals them
    if engine.global_rank == 0:
        seal(checkpoint_dir / f"step{step}")
        tags = sorted((p for p in checkpoint_dir.glob("step*") if p.is_dir()), key=lambda p: int(p.name[4:]))
        for old in tags[:-KEEP_CHECKPOINTS]:
            shutil.rmtree(old, ignore_errors=True)


KILL_AFTER_CHECKPOINT = "RULEPIPE_KILL_AFTER_CHECKPOINT"


def checkpoint_written(step: int) -> None:
    """Fault injection for resume tests: with RULEPIPE_KILL_AFTER_CHECKPOINT=N every rank
    SIGKILLs itself once the step-N checkpoint is complete on all ranks (a real kill, the way a
    scheduler or an OOM killer ends a job)."""
    if os.environ.get(KILL_AFTER_CHECKPOINT) == str(step):
        import torch.distributed as dist

        dist.barrier()
        os.kill(os.getpid(), signal.SIGKILL)
