"""The summarize stage: every evaluated row of this run -> `results/summary.csv` (with 95%
intervals, bootstrapped with the run's seed) and `results/probe_scores.csv`."""

from __future__ import annotations

from rulepipe.report.summary import write_summary


def run(inputs: dict, outputs: dict, params: dict, seed: int) -> None:
    write_summary(inputs["evals"], outputs["summary"], seed, outputs["scores"])
