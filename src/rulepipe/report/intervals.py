"""95% intervals for every number the report compares: a seeded percentile bootstrap over probes.

The probes are the sample. A row's interval comes from resampling its probes with replacement
within each level (a level's count stays fixed, since All is the mean of the level means; a
naturalness score resamples the graded replies, its criteria together), `RESAMPLES` times, and
taking the 2.5th and 97.5th percentiles of the statistic's replicates. Every run of a target is
resampled with the same draws (paired): the probes are the same questions for every model, so a
difference between two rows, or a trade-off area over several runs, gets the interval of its own
replicates. A mean over targets averages the targets' replicates (targets drawn independently).

The draws depend only on the seed and on the probe sets (`draw_key`), so the same seed and the
same scores give the same intervals, whatever order the runs come in.

Scores arrive as a tidy frame, one row per scored unit (`SCORE_FRAME`): `side` forget / neighbor
with RWKU's level ("1" FB, "2" QA, "3" AA), or a naturalness criterion (`nat_read`, `nat_truth`,
`nat_help`) with level "0"; `index` its position in the target's probe (or reply) list.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RESAMPLES = 1000
LEVEL = 0.95
RUN = ["method", "target", "protocol"]
SCORE_FRAME = RUN + ["side", "level", "index", "score"]
NATURALNESS = ("nat_read", "nat_help", "nat_truth")
# summary column -> (side, levels): a level's mean, or the mean of the levels present (All)
PROBE_STATISTICS = {
    "forget_fb": ("forget", ("1",)),
    "forget_qa": ("forget", ("2",)),
    "forget_aa": ("forget", ("3",)),
    "forget_all": ("forget", ("1", "2", "3")),
    "neighbor_fb": ("neighbor", ("1",)),
    "neighbor_qa": ("neighbor", ("2",)),
    "neighbor_all": ("neighbor", ("1", "2")),
}
COLUMNS = list(PROBE_STATISTICS) + list(NATURALNESS) + ["nat_all"]


def percentile_interval(replicates: np.ndarray | None, level: float = LEVEL) -> tuple[float, float]:
    """The central `level` share of the finite replicates; NaN where there are none (or None)."""
    values = np.asarray([] if replicates is None else replicates, dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return float("nan"), float("nan")
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def draw_key(target: str, side: str, level: str, size: int) -> tuple:
    """What shares one set of draws: a target's probes of one side and level (the naturalness
    criteria of one target share theirs: they grade the same replies), of one size."""
    return (target, "naturalness" if side in NATURALNESS else side, str(level), size)


def draws(keys: set[tuple], seed: int, resamples: int = RESAMPLES) -> dict[tuple, np.ndarray]:
    """[resamples, size] indices per key, from one generator walked in sorted key order."""
    rng = np.random.default_rng(seed)
    return {key: rng.integers(0, key[-1], size=(resamples, key[-1])) for key in sorted(keys, key=str)}


def nanmean(matrix: np.ndarray, axis: int) -> np.ndarray:
    """The mean along `axis` of the finite entries (NaN: an ungraded reply, an absent level);
    NaN where there are none."""
    counts = np.isfinite(matrix).sum(axis=axis)
    return np.where(counts > 0, np.nansum(matrix, axis=axis) / np.maximum(counts, 1), np.nan)


def replicates(scores: pd.DataFrame, seed: int, resamples: int = RESAMPLES) -> dict[tuple, dict[str, np.ndarray]]:
    """(method, target, protocol) -> {summary column: [resamples] bootstrap replicates}."""
    if scores.empty:
        return {}
    vectors: dict[tuple, dict[tuple[str, str], np.ndarray]] = {}
    for (method, target, protocol, side, level), group in scores.groupby(RUN + ["side", "level"], sort=True):
        ordered = group.sort_values("index")["score"].to_numpy(dtype=float)
        vectors.setdefault((method, target, protocol), {})[(side, str(level))] = ordered
    keys = {
        draw_key(run[1], side, level, len(v)) for run, parts in vectors.items() for (side, level), v in parts.items()
    }
    drawn = draws(keys, seed, resamples)
    out = {}
    for run, parts in vectors.items():
        means = {
            part: nanmean(vector[drawn[draw_key(run[1], part[0], part[1], len(vector))]], axis=1)
            for part, vector in parts.items()
        }
        columns = {}
        for column, (side, levels) in PROBE_STATISTICS.items():
            present = [means[(side, lv)] for lv in levels if (side, lv) in means]
            if present:
                columns[column] = nanmean(np.vstack(present), axis=0)
        for criterion in NATURALNESS:
            if (criterion, "0") in means:
                columns[criterion] = means[(criterion, "0")]
        graded = [columns[c] for c in NATURALNESS if c in columns]
        if graded and all(np.isfinite(g).any() for g in graded):
            columns["nat_all"] = np.mean(np.vstack(graded), axis=0)
        out[run] = columns
    return out


def interval_frame(scores: pd.DataFrame, seed: int, resamples: int = RESAMPLES) -> pd.DataFrame:
    """One row per run: `{column}_lo` and `{column}_hi` for every column it has scores for."""
    rows = []
    for run, columns in sorted(replicates(scores, seed, resamples).items()):
        row = dict(zip(RUN, run))
        for column, reps in columns.items():
            row[f"{column}_lo"], row[f"{column}_hi"] = percentile_interval(reps)
        rows.append(row)
    return pd.DataFrame(rows, columns=RUN + [f"{c}_{end}" for c in COLUMNS for end in ("lo", "hi")])


def mean_over_targets(reps: dict[tuple, dict[str, np.ndarray]], method: str, protocol: str, column: str):
    """A method's replicates of a column averaged over its targets (None where it has none)."""
    found = [
        cols[column] for (m, _, p), cols in sorted(reps.items()) if m == method and p == protocol and column in cols
    ]
    return np.mean(np.vstack(found), axis=0) if found else None
