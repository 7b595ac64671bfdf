"""summary.csv over seeds: the mean and the spread of every score of the same row (benchmark,
model, method, target, protocol) across the runs of `python -m rulepipe.repeat`, one run per
seed. The per-seed 95% intervals (`_lo` / `_hi`) say how much the probes move a score; the
spread over seeds says how much training's randomness does (data order, sampling, rollouts).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from rulepipe.io import write_text
from rulepipe.report.summary import INTERVAL_COLUMNS, KEY_COLUMNS


def over_seeds(tables: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """One row per key: `n_seeds`, and for every numeric score column `{col}_mean`, `{col}_sd`
    (sample standard deviation, ddof 1; NaN with one seed), `{col}_min`, `{col}_max`. Rows
    missing from some seed's table count only the seeds that have them."""
    frames = [table.assign(seed=seed) for seed, table in sorted(tables.items())]
    data = pd.concat(frames, ignore_index=True)
    skip = set(KEY_COLUMNS) | set(INTERVAL_COLUMNS) | {"seed"}
    scores = [c for c in data.columns if c not in skip and pd.api.types.is_numeric_dtype(data[c])]
    grouped = data.groupby(KEY_COLUMNS, sort=False, dropna=False)
    stats = {"n_seeds": grouped["seed"].nunique()}
    for column in scores:
        values = grouped[column]
        stats |= {
            f"{column}_mean": values.mean(),
            f"{column}_sd": values.std(ddof=1),
            f"{column}_min": values.min(),
            f"{column}_max": values.max(),
        }
    return pd.concat(stats, axis=1).copy().reset_index()  # copy: one block, not one per column


def cell(mean: float, sd: float) -> str:
    if mean is None or math.isnan(mean):
        return "-"
    return f"{100 * mean:.1f}" + ("" if sd is None or math.isnan(sd) else f" ± {100 * sd:.1f}")


def markdown(table: pd.DataFrame, columns=("forget_all", "neighbor_all", "nat_all")) -> str:
    """The main scores as `mean ± sd` over seeds (x 100), one line per final row (checkpoint
    rows, `-step<N>`, are left to the csv)."""
    shown = [c for c in columns if f"{c}_mean" in table]
    lines = ["| method | target | protocol | seeds | " + " | ".join(shown) + " |", "|---" * (4 + len(shown)) + "|"]
    for _, row in table.iterrows():
        if "-step" in str(row["method"]):
            continue
        cells = [cell(row[f"{c}_mean"], row[f"{c}_sd"]) for c in shown]
        head = f"| {row['method']} | {row['target']} | {row['protocol']} | {row['n_seeds']} | "
        lines.append(head + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_over_seeds(summaries: dict[int, str | Path], out_csv: str | Path, out_md: str | Path) -> pd.DataFrame:
    table = over_seeds({seed: pd.read_csv(path) for seed, path in summaries.items()})
    write_text(out_csv, table.to_csv(index=False, float_format="%.6g"))
    write_text(out_md, markdown(table))
    return table
