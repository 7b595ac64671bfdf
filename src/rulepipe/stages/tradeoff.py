"""The tradeoff stage: summary.csv and probe_scores.csv -> the trade-off figure, Pareto fronts and
areas with their 95% intervals."""

from __future__ import annotations

from rulepipe.report.tradeoff import write_tradeoff


def run(inputs: dict, outputs: dict, params: dict, seed: int) -> None:
    protocol = params["evaluation"]["protocols"][0]  # the main one
    names = params["benchmark"]["name"], params["model"]["name"]
    write_tradeoff(inputs["summary"], outputs["png"], *names, protocol, inputs["scores"], seed)
