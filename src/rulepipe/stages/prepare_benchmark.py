"""The prepare_benchmark stage: a benchmark source (the fictional generator, an RWKU or MUSE
directory, the hub) -> one `target.json` per target, and the learn data where the benchmark
is learned first (`rulepipe.data.prepare`)."""

from __future__ import annotations

from pathlib import Path

from rulepipe.data.prepare import prepare_benchmark


def run(inputs: dict, outputs: dict, params: dict, seed: int) -> None:
    targets = [Path(path).parent.name for path in outputs["targets"]]  # <data>/<target>/target.json
    prepare_benchmark(params["benchmark"], targets, Path(outputs["targets"][0]).parent.parent)
