"""The tradeoff stage: summary.csv -> the trade-off figure, Pareto fronts and areas."""

from __future__ import annotations

from rulepipe.report.tradeoff import write_tradeoff


def run(inputs: dict, outputs: dict, params: dict, seed: int) -> None:
    protocol = params["evaluation"]["protocols"][0]  # the main one
    write_tradeoff(inputs["summary"], outputs["png"], params["benchmark"]["name"], params["model"]["name"], protocol)
