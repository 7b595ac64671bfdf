"""The trade-off figure (PAPER.md section 3): retain quality against 1 - forget quality for every
run of each method family, its Pareto front, and the area under the front above retain thresholds.

A family's points are its runs and their curves: every checkpoint evaluated along training
(`rule-grpo-step4`: ReBO's in-loop evaluations; RS only is where each ReBO curve starts) and
every learning-rate sweep point (`npo-lr8e-04`). The figure draws each run as a curve through
its checkpoints in order, and each family's front as a staircase.

Area (inferred from the paper's table, where RULE's value does not change with the threshold):
A_t = integral over x in [0, 1] of max{ y_i : x_i >= x, y_i >= t }, 0 where no point qualifies,
i.e. the area the family's qualifying points dominate. Its 95% interval comes from the paired
bootstrap over probes (`report.intervals`): every point of every family is recomputed from the
same resampled probes, the area from those points, and RULE's area less the best baseline's
gets the interval of its own replicates (`tradeoff_area.md` says whether it excludes 0).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rulepipe.io import write_text
from rulepipe.methods import METHODS, curve_of, method_of
from rulepipe.report import intervals

THRESHOLDS = (0.4, 0.5, 0.6, 0.7)
FAMILIES = list(dict.fromkeys(m.family for m in METHODS.values() if m.family))  # the figure's order


def family_of(run: str) -> str | None:
    method = method_of(run)
    return method.family if method else None


def pareto_front(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points no other point beats on both axes (more forgetting and more retain), by x."""
    front = []
    for x, y in sorted(set(points), key=lambda p: (-p[0], -p[1])):
        if not front or y > front[-1][1]:
            front.append((x, y))
    return sorted(front)


def dominated_area(points: list[tuple[float, float]], threshold: float) -> float:
    """Area under the staircase of the points with retain >= threshold (see the module doc)."""
    front = pareto_front([(x, y) for x, y in points if y >= threshold])
    area, left = 0.0, 0.0
    for x, y in front:  # ascending x, descending y: each point dominates [left, x]
        area += max(0.0, x - left) * y
        left = max(left, x)
    return area


def tradeoff_points(summary: pd.DataFrame) -> pd.DataFrame:
    """One point per run, averaged over targets: x = 1 - forget All, y = neighbor (retain) All."""
    means = summary.groupby("method")[["forget_all", "neighbor_all"]].mean().dropna()
    frame = pd.DataFrame({"x": 1 - means["forget_all"], "y": means["neighbor_all"]})
    frame["family"] = [family_of(m) for m in frame.index]
    frame["curve"] = [curve_of(m)[0] for m in frame.index]
    frame["step"] = [curve_of(m)[1] for m in frame.index]
    return frame.dropna(subset=["family"])


def area_table(points: pd.DataFrame) -> pd.DataFrame:
    rows = {}
    for family, group in points.groupby("family"):
        pairs = list(zip(group["x"], group["y"]))
        rows[family] = {f"retain>={t}": round(dominated_area(pairs, t), 4) for t in THRESHOLDS}
    order = [f for f in FAMILIES if f in rows]
    return pd.DataFrame.from_dict(rows, orient="index").loc[order]


def point_replicates(points: pd.DataFrame, reps: dict, protocol: str, resamples: int) -> dict[str, np.ndarray]:
    """Each run's [resamples, 2] bootstrap points (x, y), averaged over targets; a run without
    probe scores keeps its point in every replicate."""
    out = {}
    for run, row in points.iterrows():
        forget = intervals.mean_over_targets(reps, run, protocol, "forget_all")
        retain = intervals.mean_over_targets(reps, run, protocol, "neighbor_all")
        x = 1 - forget if forget is not None else np.full(resamples, row["x"])
        y = retain if retain is not None else np.full(resamples, row["y"])
        out[run] = np.column_stack([x, y])
    return out


def area_replicates(points: pd.DataFrame, reps: dict, protocol: str, threshold: float) -> dict[str, np.ndarray]:
    """Each family's area above `threshold`, one per bootstrap replicate."""
    resamples = next((len(c) for cols in reps.values() for c in cols.values()), intervals.RESAMPLES)
    bootstrapped = point_replicates(points, reps, protocol, resamples)
    out = {}
    for family, group in points.groupby("family"):
        stacked = np.stack([bootstrapped[run] for run in group.index], axis=1)  # [resamples, runs, 2]
        out[family] = np.array([dominated_area([tuple(p) for p in draw], threshold) for draw in stacked])
    return out


def area_intervals(points: pd.DataFrame, areas: pd.DataFrame, reps: dict, protocol: str):
    """The area table with each area's 95% interval (`{threshold}_lo`, `_hi`), and the areas'
    replicates per threshold (what the words on RULE's area compare)."""
    frame, drawn = areas.copy(), {}
    for t in THRESHOLDS:
        drawn[t] = area_replicates(points, reps, protocol, t)
        bounds = [intervals.percentile_interval(drawn[t][f]) for f in frame.index]
        frame[f"retain>={t}_lo"] = [round(b[0], 4) for b in bounds]
        frame[f"retain>={t}_hi"] = [round(b[1], 4) for b in bounds]
    return frame, drawn


def area_words(areas: pd.DataFrame, drawn: dict[str, np.ndarray] | None, threshold: float = 0.6) -> str:
    """RULE's area against the best baseline family's, with the paired interval of the
    difference from the families' replicates at `threshold` (`drawn`; None: no probe scores)."""
    column = f"retain>={threshold}"
    if "RULE" not in areas.index or len(areas.index) < 2:
        return ""
    best = areas.drop(index="RULE")[column].idxmax()
    diff = areas.loc["RULE", column] - areas.loc[best, column]
    line = f"Area at retain >= {threshold}: RULE {areas.loc['RULE', column]:.3f} against {best} "
    line += f"{areas.loc[best, column]:.3f} (the best baseline family): difference {diff:+.3f}"
    if drawn is None:
        return line + " (no probe scores: no interval).\n"
    low, high = intervals.percentile_interval(drawn["RULE"] - drawn[best])
    shown = low > 0 or high < 0
    verdict = f"larger than its interval ({'RULE' if diff > 0 else best} larger)" if shown else "within its interval"
    return f"{line} [{low:+.3f}, {high:+.3f}], {verdict}.\n"


def area_markdown(areas: pd.DataFrame) -> str:
    """The areas per family and threshold, each with its interval where it has one."""
    lines = [
        "| family | " + " | ".join(f"retain >= {t}" for t in THRESHOLDS) + " |",
        "|---" * (len(THRESHOLDS) + 1) + "|",
    ]
    for family, row in areas.iterrows():
        cells = []
        for t in THRESHOLDS:
            cell = f"{row[f'retain>={t}']:.3f}"
            if f"retain>={t}_lo" in row:
                cell += f" [{row[f'retain>={t}_lo']:.3f}, {row[f'retain>={t}_hi']:.3f}]"
            cells.append(cell)
        lines.append(f"| {family} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def curves(group: pd.DataFrame, points: pd.DataFrame) -> list[pd.DataFrame]:
    """A family's runs as curves: each run's checkpoints by step, the finished run last; a ReBO
    curve starts at RS only (its step 0), where RS is a point of the family."""
    out = []
    for run, part in group.groupby("curve", sort=True):
        part = part.assign(order=part["step"].fillna(np.inf)).sort_values("order")
        if run.startswith("rule-") and "rs" in points.index:
            part = pd.concat([points.loc[["rs"]], part])
        out.append(part)
    return out


def plot_tradeoff(points: pd.DataFrame, areas: pd.DataFrame, out: str | Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.2, 5.4))
    colors = plt.get_cmap("tab10")
    for family, group in points.groupby("family", sort=False):
        color = colors(list(FAMILIES).index(family) % 10)
        for curve in curves(group, points):
            ax.plot(curve["x"], curve["y"], color=color, linewidth=0.8, alpha=0.6, marker="o", markersize=3)
        xs, ys, left = [], [], 0.0
        for x, y in pareto_front(list(zip(group["x"], group["y"]))):  # the staircase the front dominates
            xs += [left, x]
            ys += [y, y]
            left = x
        column = "retain>=0.6"
        area = areas.loc[family, column] if family in areas.index else 0.0
        label = f"{family} (area, retain>=0.6: {area:.3f}"
        if f"{column}_lo" in areas and family in areas.index:
            label += f" [{areas.loc[family, f'{column}_lo']:.3f}, {areas.loc[family, f'{column}_hi']:.3f}]"
        ax.plot(xs, ys, color=color, linewidth=1.6, linestyle="--", label=label + ")")
    for t in THRESHOLDS:
        ax.axhline(t, color="grey", linewidth=0.5, linestyle=":")
    ax.set_xlabel("1 - forget quality (forget All)")
    ax.set_ylabel("retain quality (neighbor All)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title)
    ax.legend(fontsize=6.5, loc="lower left")
    fig.tight_layout()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=150)
    plt.close(fig)


def write_tradeoff(
    summary_path: str | Path,
    out_png: str | Path,
    benchmark: str,
    model: str,
    protocol: str = "rwku",
    scores_path: str | Path | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """The figure, points and areas under one evaluation protocol (the table's first); with the
    run's probe scores, the areas' 95% intervals and the words on RULE's area (tradeoff_area.md)."""
    from rulepipe.report.table import protocol_rows

    summary = pd.read_csv(summary_path)
    summary = protocol_rows(summary[(summary["benchmark"] == benchmark) & (summary["model"] == model)], protocol)
    points = tradeoff_points(summary)
    areas = area_table(points)
    drawn = None
    if scores_path is not None:
        scores = pd.read_csv(scores_path, dtype={"level": str, "target": str})
        scores = scores[scores["method"].isin(points.index) & scores["side"].isin(("forget", "neighbor"))]
        areas, by_threshold = area_intervals(points, areas, intervals.replicates(scores, seed), protocol)
        drawn = by_threshold[0.6]
    out = Path(out_png)
    write_text(out.with_name("tradeoff_points.csv"), points.to_csv(float_format="%.4f"))
    write_text(out.with_name("tradeoff_area.csv"), areas.to_csv(float_format="%.4f"))
    words = area_words(areas, drawn)
    write_text(out.with_name("tradeoff_area.md"), area_markdown(areas) + "\n" + words)
    plot_tradeoff(points, areas, out, f"{benchmark} / {model} ({protocol} protocol)")
    print(areas.to_string(), flush=True)
    print(words, flush=True)
    return areas
