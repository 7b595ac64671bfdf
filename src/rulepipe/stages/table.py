"""The table stage: summary.csv -> the paper's table (csv, md, tex) and the per-target breakdown."""

from __future__ import annotations

from pathlib import Path

from rulepipe.report.table import write_table


def run(inputs: dict, outputs: dict, params: dict, seed: int) -> None:
    write_table(
        inputs["summary"],
        Path(outputs["csv"]).parent,
        params["methods"],
        params["benchmark"]["name"],
        params["model"]["name"],
        params["evaluation"]["protocols"],
        inputs["scores"],
        seed,
    )
