"""The trade-off figure (PAPER.md section 3): retain quality against 1 - forget quality for every
run of each method family, its Pareto front, and the area under the front above retain thresholds.

Area (inferred from the paper's table, where RULE's value does not change with the threshold):
A_t = integral over x in [0, 1] of max{ y_i : x_i >= x, y_i >= t }, 0 where no point qualifies,
i.e. the area the family's qualifying points dominate.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rulepipe.io import write_text
from rulepipe.methods import METHODS, method_of

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
    return frame.dropna(subset=["family"])


def area_table(points: pd.DataFrame) -> pd.DataFrame:
    rows = {}
    for family, group in points.groupby("family"):
        pairs = list(zip(group["x"], group["y"]))
        rows[family] = {f"retain>={t}": round(dominated_area(pairs, t), 4) for t in THRESHOLDS}
    order = [f for f in FAMILIES if f in rows]
    return pd.DataFrame.from_dict(rows, orient="index").loc[order]


def plot_tradeoff(points: pd.DataFrame, areas: pd.DataFrame, out: str | Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    colors = plt.get_cmap("tab10")
    for family, group in points.groupby("family", sort=False):
        color = colors(list(FAMILIES).index(family) % 10)
        ax.scatter(group["x"], group["y"], color=color, s=28, alpha=0.8)
        xs, ys, left = [], [], 0.0
        for x, y in pareto_front(list(zip(group["x"], group["y"]))):  # the staircase the front dominates
            xs += [left, x]
            ys += [y, y]
            left = x
        area = areas.loc[family, "retain>=0.6"] if family in areas.index else 0.0
        ax.plot(xs, ys, color=color, label=f"{family} (area, retain>=0.6: {area:.3f})")
    for t in THRESHOLDS:
        ax.axhline(t, color="grey", linewidth=0.5, linestyle=":")
    ax.set_xlabel("1 - forget quality (forget All)")
    ax.set_ylabel("retain quality (neighbor All)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=150)
    plt.close(fig)


def write_tradeoff(
    summary_path: str | Path, out_png: str | Path, benchmark: str, model: str, protocol: str = "rwku"
) -> pd.DataFrame:
    """The figure and areas under one evaluation protocol (the table's first)."""
    from rulepipe.report.table import protocol_rows

    summary = pd.read_csv(summary_path)
    summary = protocol_rows(summary[(summary["benchmark"] == benchmark) & (summary["model"] == model)], protocol)
    points = tradeoff_points(summary)
    areas = area_table(points)
    out = Path(out_png)
    write_text(out.with_name("tradeoff_points.csv"), points.to_csv(float_format="%.4f"))
    write_text(out.with_name("tradeoff_area.csv"), areas.to_csv(float_format="%.4f"))
    plot_tradeoff(points, areas, out, f"{benchmark} / {model} ({protocol} protocol)")
    print(areas.to_string(), flush=True)
    return areas
