"""The rebo_curves stage: every algorithm's ReBO training log -> one figure per target."""

from __future__ import annotations

from pathlib import Path

from rulepipe.report.curves import plot_training_curves


def run(inputs: dict, outputs: dict, params: dict, seed: int) -> None:
    plot_training_curves([str(Path(model) / "train_log.json") for model in inputs["models"]], outputs["png"])
