"""`python -m rulepipe.gpus N COMMAND...`: run COMMAND on N GPUs of its own.

Snakemake's `--resources gpu=N` caps how many GPUs the running jobs take together, but on one
machine it does not say which: without this, jobs side by side would all land on GPU 0. Each
GPU is a lock file under `$RULEPIPE_GPU_LOCKS` (default /tmp/rulepipe-gpus-<uid>); the job
holds its locks (`flock`, released by the kernel when the job ends, even on a kill) and sees
only its GPUs through CUDA_VISIBLE_DEVICES. Under SLURM the allocation is already the job's
own, so the command runs as it is; so it does with N = 0 (a CPU run).

Devices are named by UUID, read from `nvidia-smi -L`: a lock is keyed by the UUID however the
GPU was named (an index and a UUID of one GPU take the same lock), and the command gets UUIDs in
CUDA_VISIBLE_DEVICES, so CUDA's own order (fastest first unless CUDA_DEVICE_ORDER says
PCI_BUS_ID) cannot pick another GPU than the one locked. Indices in an inherited
CUDA_VISIBLE_DEVICES are read in nvidia-smi's order (PCI bus order), and the command runs with
CUDA_DEVICE_ORDER=PCI_BUS_ID so that any index it prints means the same. A GPU in MIG mode is
scheduled as its MIG devices; a process sees one MIG device only (CUDA's rule), so a job of more
than one GPU takes whole GPUs. An empty CUDA_VISIBLE_DEVICES shows no GPU, as it does to CUDA.
"""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass

_GPU_LINE = re.compile(r"^GPU (\d+): .*\(UUID: (GPU-[^)\s]+)\)")
_MIG_LINE = re.compile(r"^\s+MIG .*\(UUID: (MIG-[^)\s]+)\)")


@dataclass(frozen=True)
class Gpu:
    """One physical GPU of `nvidia-smi -L`: its UUID and, in MIG mode, its MIG devices' UUIDs."""

    uuid: str
    migs: tuple[str, ...] = ()

    @property
    def units(self) -> tuple[str, ...]:
        """What a job can be given: the MIG devices of a GPU in MIG mode, else the GPU."""
        return self.migs or (self.uuid,)


def parse_listing(listing: str) -> list[Gpu]:
    """The GPUs of an `nvidia-smi -L` listing, in its order (PCI bus order), MIG devices with them."""
    gpus: list[Gpu] = []
    for line in listing.splitlines():
        if found := _GPU_LINE.match(line):
            gpus.append(Gpu(found.group(2)))
        elif (found := _MIG_LINE.match(line)) and gpus:
            gpus[-1] = Gpu(gpus[-1].uuid, (*gpus[-1].migs, found.group(1)))
    return gpus


def schedulable(gpus: list[Gpu], visible: str | None) -> list[str]:
    """The devices a job may be given: every unit of `gpus`, narrowed by CUDA_VISIBLE_DEVICES.

    `visible` is the inherited CUDA_VISIBLE_DEVICES (None: unset). Its entries may be indices
    (nvidia-smi's order), GPU or MIG UUIDs, or UUID prefixes, as CUDA reads them. Entries that
    nvidia-smi cannot resolve (no nvidia-smi) are kept as they are.
    """
    if visible is None:
        return [unit for gpu in gpus for unit in gpu.units]
    chosen: list[str] = []
    for entry in (e.strip() for e in visible.split(",")):
        if not entry:
            continue
        if not gpus:
            found: tuple[str, ...] = (entry,)
        elif entry.isdigit():
            if int(entry) >= len(gpus):
                raise SystemExit(
                    f"rulepipe.gpus: CUDA_VISIBLE_DEVICES names GPU {entry}, nvidia-smi -L shows {len(gpus)}"
                )
            found = gpus[int(entry)].units
        else:
            whole = [gpu.units for gpu in gpus if gpu.uuid.startswith(entry)]
            parts = [(mig,) for gpu in gpus for mig in gpu.migs if mig.startswith(entry)]
            if len(whole) + len(parts) != 1:
                raise SystemExit(
                    f"rulepipe.gpus: CUDA_VISIBLE_DEVICES entry {entry!r} matches "
                    f"{len(whole) + len(parts)} devices of nvidia-smi -L (one expected)"
                )
            found = (whole + parts)[0]
        chosen.extend(unit for unit in found if unit not in chosen)
    return chosen


def visible_gpus() -> list[str]:
    """The devices this machine shows to a job (see `schedulable`)."""
    try:
        listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        listing = ""
    return schedulable(parse_listing(listing), os.environ.get("CUDA_VISIBLE_DEVICES"))


def lock_name(device: str) -> str:
    """The lock file of a device: its UUID (or unresolved name) as a plain file name."""
    return "gpu-" + re.sub(r"[^A-Za-z0-9_.-]", "_", device) + ".lock"


def acquire(count: int, gpus: list[str], lock_dir: str, wait: float = 5.0) -> tuple[list[str], list[int]]:
    """Lock `count` free devices (waiting while others hold them); returns their ids and lock fds."""
    if count > 1:
        gpus = [g for g in gpus if not g.startswith("MIG-")]  # one process sees one MIG device
    if count > len(gpus):
        kind = "whole GPUs (a process sees only one MIG device)" if count > 1 else "GPUs"
        source = "CUDA_VISIBLE_DEVICES" if os.environ.get("CUDA_VISIBLE_DEVICES") is not None else "this machine"
        raise SystemExit(f"rulepipe.gpus: the job needs {count} GPUs, {source} shows {len(gpus)} {kind}")
    os.makedirs(lock_dir, exist_ok=True)
    while True:
        held: list[tuple[str, int]] = []
        for gpu in gpus:
            fd = os.open(os.path.join(lock_dir, lock_name(gpu)), os.O_CREAT | os.O_RDWR)
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
        os.environ["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"
        print(f"[gpus] CUDA_VISIBLE_DEVICES={os.environ['CUDA_VISIBLE_DEVICES']}", file=sys.stderr, flush=True)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
