"""Where a run's time went, from what it left under `results/`: every job's wall seconds (the
Snakemake `benchmark:` files), summed by stage, and each ReBO run's seconds per step split
into generate / train / sync (`resources.json` beside the model).

    python bench/stage_times.py                      # results/
    python bench/stage_times.py --results /tmp/run/results

Jobs that ran side by side overlap, so the sum of the stages can exceed the run's wall time.
The wall time printed is the union of the jobs' intervals, each ending when Snakemake wrote its
benchmark file (its mtime) and starting its seconds before: for one uninterrupted run, its wall
time; for a run resumed later, its busy time. A run on busy cores is slower per job. Quote
medians and ratios from one run.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import defaultdict
from pathlib import Path
from statistics import median


def job_seconds(results: Path) -> list[tuple[str, str, float, float]]:
    """(stage, job path, seconds, end time) for every benchmark file under `results/benchmarks`."""
    jobs = []
    root = results / "benchmarks"
    for path in sorted(root.rglob("*.tsv")):
        with path.open() as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        if rows:
            relative = path.relative_to(root).with_suffix("")
            stage = "naturalness" if relative.parent.name == "naturalness" else relative.name
            jobs.append((stage, str(relative.parent), float(rows[-1]["s"]), path.stat().st_mtime))
    return jobs


def wall_seconds(intervals: list[tuple[float, float]]) -> float:
    """The length of the union of (start, end) intervals."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(intervals):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def rebo_steps(results: Path) -> list[tuple[str, dict[str, float]]]:
    """(run, median seconds per step by part) for every ReBO model with a resources.json."""
    found = []
    for path in sorted(results.glob("*/*/rule-*/*/model/resources.json")):
        steps = json.loads(path.read_text()).get("seconds_per_step", [])
        if steps:
            parts = {key: median(step[key] for step in steps) for key in ("generate", "train", "sync")}
            found.append((str(path.parent.parent.relative_to(results)), parts | {"steps": len(steps)}))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results")
    results = Path(parser.parse_args().results)
    jobs = job_seconds(results)
    by_stage: dict[str, list[float]] = defaultdict(list)
    for stage, _, seconds, _ in jobs:
        by_stage[stage].append(seconds)
    total = sum(seconds for _, _, seconds, _ in jobs)
    wall = wall_seconds([(end - seconds, end) for _, _, seconds, end in jobs])
    print(f"# {results}: {len(jobs)} jobs, {total / 60:.1f} min of job time, {wall / 60:.1f} min of wall time\n")
    print("| stage | jobs | total min | median s | share |\n|---|---|---|---|---|")
    for stage, values in sorted(by_stage.items(), key=lambda item: -sum(item[1])):
        share = sum(values) / total if total else 0
        print(f"| {stage} | {len(values)} | {sum(values) / 60:.1f} | {median(values):.0f} | {share:.0%} |")
    steps = rebo_steps(results)
    if steps:
        print("\n| ReBO run | steps | generate s/step | train s/step | sync s/step |\n|---|---|---|---|---|")
        for run, parts in steps:
            split = f"{parts['generate']:.1f} | {parts['train']:.1f} | {parts['sync']:.2f}"
            print(f"| {run} | {parts['steps']} | {split} |")


if __name__ == "__main__":
    main()
