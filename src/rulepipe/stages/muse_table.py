"""The muse_table stage: every table method's muse.json -> MUSE's table (csv, md)."""

from __future__ import annotations

from pathlib import Path

from rulepipe.report.muse import write_muse_table


def run(inputs: dict, outputs: dict, params: dict, seed: int) -> None:
    write_muse_table(inputs["records"], params["methods"], Path(outputs["csv"]).parent)
