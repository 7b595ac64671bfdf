"""The prepare_utility stage: `utility.path` (RWKU's utility files) -> one checked file of
utility sets, shared by every target's utility job (benchmarks without sets of their own)."""

from __future__ import annotations

from rulepipe.data import rwku
from rulepipe.io import write_json


def prepare_utility(path: str, out_path: str) -> None:
    sets = rwku.load_utility_dir(path)
    write_json(out_path, sets)
    print(f"[prepare_utility] {path}: {', '.join(f'{k} {len(v)}' for k, v in sets.items())} -> {out_path}", flush=True)


def run(inputs: dict, outputs: dict, params: dict, seed: int) -> None:
    prepare_utility(params["utility"]["path"], outputs["sets"])
