"""`python -m rulepipe.gpus N COMMAND...`: run COMMAND on N GPUs of its own.

Snakemake's `--resources gpu=N` caps how many GPUs the running jobs take together, but on one
machine it does not say which: without this, jobs side by side would all land on GPU 0. Each
GPU is a lock file under `$RULEPIPE_GPU_LOCKS` (default /tmp/rulepipe-gpus-<uid>); the job
holds its locks (`flock`, released by the kernel when the job ends, even on a kill) and sees
only its GPUs through CUDA_VISIBLE_DEVICES. Under SLURM the allocation is already the job's
own, so the command runs as it is; so it does with N = 0 (a CPU run).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time


def visible_gpus() -> list[str]:
    """The GPUs this machine shows (narrowed by an existing CUDA_VISIBLE_DEVICES)."""
    if os.environ.get("CUDA_VISIBLE_DEVICES"):
        return [g for g in os.environ["CUDA_VISIBLE_DEVICES"].split(",") if g]
    try:
        listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return [str(i) for i, line in enumerate(listing.splitlines()) if line.startswith("GPU ")]


def acquire(count: int, gpus: list[str], lock_dir: str, wait: float = 5.0) -> tuple[list[str], list[int]]:
    """Lock `count` free GPUs (waiting while others hold them); returns their ids and lock fds."""
    if count > len(gpus):
        raise SystemExit(f"rulepipe.gpus: the job needs {count} GPUs, this machine shows {len(gpus)}")
    os.makedirs(lock_dir, exist_ok=True)
    while True:
        held: list[tuple[str, int]] = []
        for gpu in gpus:
            fd = os.open(os.path.join(lock_dir, f"gpu{gpu}.lock"), os.O_CREAT | os.O_RDWR)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            held.append((gpu, fd))
            if len(held) == count:
                return [g for g, _ in held], [f for _, f in held]
        for _, fd in held:
            os.close(fd)
        print(f"[gpus] waiting for {count} free GPU(s) of {len(gpus)}", file=sys.stderr, flush=True)
        time.sleep(wait)


def main(argv: list[str]) -> None:
    if len(argv) < 2 or not argv[0].isdigit():
        raise SystemExit("usage: python -m rulepipe.gpus N COMMAND [ARGS...]")
    count, command = int(argv[0]), argv[1:]
    if count > 0 and "SLURM_JOB_ID" not in os.environ:
        lock_dir = os.environ.get("RULEPIPE_GPU_LOCKS", f"/tmp/rulepipe-gpus-{os.getuid()}")
        mine, fds = acquire(count, visible_gpus(), lock_dir)
        for fd in fds:
            os.set_inheritable(fd, True)  # the command keeps the locks for its whole life
        os.environ["CUDA_VISIBLE_DEVICES"] = ",".join(mine)
        print(f"[gpus] CUDA_VISIBLE_DEVICES={os.environ['CUDA_VISIBLE_DEVICES']}", file=sys.stderr, flush=True)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
