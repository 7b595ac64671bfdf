"""The paper's main table (PAPER.md section 3) from `summary.csv`: one row per method averaged
over targets, x100, as CSV, Markdown and LaTeX, plus the per-target breakdown and the utility /
MIA table (`utility.md`; its numbers are also columns of table.csv).

Where the run's probe scores are given (`probe_scores.csv`), every forget, neighbor and
naturalness cell carries its 95% bootstrap interval (`report.intervals`), and the Markdown says
in words which differences between RULE and the best baseline are larger than their intervals
(a paired bootstrap of the difference that excludes 0). A naturalness criterion that the judge
did not grade is left out of the table, and the caption says so."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rulepipe.io import write_text
from rulepipe.methods import METHODS
from rulepipe.report import intervals
from rulepipe.report.summary import (
    MIA_COLUMNS,
    NATURALNESS_COLUMNS,
    PROXY_COLUMNS,
    SCORE_COLUMNS,
    TOKEN_COLUMNS,
    UTILITY_COLUMNS,
)

DISPLAY = {name: method.display for name, method in METHODS.items()}
ORDER = list(METHODS)
# (summary column, header) in the paper's order; scores are shown x100 with one decimal.
SCORES = [
    ("forget_fb", "Forget FB"),
    ("forget_qa", "QA"),
    ("forget_aa", "AA"),
    ("forget_all", "All (lower better)"),
    ("nat_read", "Nat. Read"),
    ("nat_help", "Help"),
    ("nat_truth", "Truth"),
    ("nat_all", "All"),
    ("neighbor_fb", "Retain FB"),
    ("neighbor_qa", "QA"),
    ("neighbor_all", "All"),
]
# RWKU's utility and MIA columns (its Table 2 layout): x100 except fluency (bits) and MIA losses (nats).
UTILITY = [
    ("mmlu", "MMLU", 100),
    ("bbh", "BBH", 100),
    ("truthfulqa_mc1", "TruthfulQA MC1", 100),
    ("truthfulqa_mc2", "MC2", 100),
    ("triviaqa_em", "TriviaQA EM", 100),
    ("triviaqa_f1", "F1", 100),
    ("fluency", "Fluency", 1),
    ("mia_forget_loss", "MIA FM loss", 1),
    ("mia_retain_loss", "RM loss", 1),
    ("mia_auc", "AUC(FM vs RM)", 1),
]


def method_means(
    summary: pd.DataFrame, methods: list[str] | None = None, reps: dict | None = None, protocol: str = "rwku"
) -> pd.DataFrame:
    """Mean over targets per method (the table's rows), in the paper's row order; with the
    bootstrap replicates of the run (`reps`), each score's 95% interval (`{column}_lo`, `_hi`)."""
    numeric = SCORE_COLUMNS + TOKEN_COLUMNS + NATURALNESS_COLUMNS + PROXY_COLUMNS + UTILITY_COLUMNS + list(MIA_COLUMNS)
    present = [c for c in numeric if c in summary]
    frame = summary if methods is None else summary[summary["method"].isin(methods)]
    means = frame.groupby("method")[present].mean()
    means["targets"] = frame.groupby("method")["target"].nunique()
    for column in intervals.COLUMNS if reps else ():
        bounds = [
            intervals.percentile_interval(intervals.mean_over_targets(reps, m, protocol, column)) for m in means.index
        ]
        means[f"{column}_lo"], means[f"{column}_hi"] = [b[0] for b in bounds], [b[1] for b in bounds]
    rank = {m: i for i, m in enumerate(methods or ORDER)}
    return means.loc[sorted(means.index, key=lambda m: (rank.get(m, len(rank)), m))]


def _share(value: float) -> str:
    if pd.isna(value):
        return "n/a"
    return "0" if value == 0 else f"{value:g}%"


def _score(value: float, low: float = float("nan"), high: float = float("nan")) -> str:
    if pd.isna(value):
        return "-"
    return f"{100 * value:.1f}" if pd.isna(low) else f"{100 * value:.1f} [{100 * low:.1f}, {100 * high:.1f}]"


def graded_columns(means: pd.DataFrame) -> list[tuple[str, str]]:
    """The table's (column, header) pairs, less a naturalness criterion no row has a score for
    (the likelihood judge grades no Helpfulness)."""
    return [
        (c, t)
        for c, t in SCORES
        if c not in NATURALNESS_COLUMNS or c == "nat_all" or means.get(c, pd.Series()).notna().any()
    ]


def display_rows(
    means: pd.DataFrame, judge_mark: str = "", columns: list[tuple[str, str]] | None = None
) -> list[list[str]]:
    """The table's cells; `judge_mark` follows every judge score (an uncalibrated judge's)."""
    rows = []
    for method, row in means.iterrows():
        cells = [DISPLAY.get(method, method), f"{_share(row.get('d_f_percent'))} / {_share(row.get('d_r_percent'))}"]
        for column, _ in columns or SCORES:
            nan = float("nan")
            cell = _score(row.get(column, nan), row.get(f"{column}_lo", nan), row.get(f"{column}_hi", nan))
            cells.append(cell + judge_mark if column in NATURALNESS_COLUMNS and cell != "-" else cell)
        rows.append(cells)
    return rows


UNCALIBRATED = "†"


def judge_note(summary: pd.DataFrame) -> tuple[str, str]:
    """(mark, caption note) for the naturalness columns: a judge that failed its calibration
    set (`evaluation.calibration`) is marked, with its AUCs, never shown as the paper's."""
    if "judge_calibrated" not in summary or summary["judge_calibrated"].isna().all():
        return "", ""
    if summary["judge_calibrated"].dropna().astype(bool).all():
        return "", "Naturalness judge calibrated (AUC >= 0.8 on its labelled set)."
    read, truth = summary.get("judge_read_auc"), summary.get("judge_truth_auc")
    aucs = f"Readability AUC {read.mean():.2f}, Truthfulness AUC {truth.mean():.2f}" if read is not None else ""
    return UNCALIBRATED, (
        f"{UNCALIBRATED} Naturalness judge uncalibrated ({aucs} on its labelled calibration set, below 0.8): "
        "these columns are not comparable to the paper's."
    )


def utility_markdown(means: pd.DataFrame) -> str:
    """Utility and MIA per method, beside the main table (RWKU reports them apart from it too)."""
    lines = ["| Method | " + " | ".join(title for _, title, _ in UTILITY) + " |", "|" + "---|" * (len(UTILITY) + 1)]
    for method, row in means.iterrows():
        values = [row.get(column, float("nan")) for column, _, _ in UTILITY]
        cells = [
            "-" if pd.isna(v) else f"{scale * v:.{1 if scale == 100 else 3}f}"
            for v, (_, _, scale) in zip(values, UTILITY)
        ]
        lines.append(f"| {DISPLAY.get(method, method)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


PROTOCOL_NOTES = {
    "rwku": "RWKU's reference protocol: greedy, newline stop, ROUGE-L recall",
    "rule_release": (
        "the RULE release's protocol: sampled (T 0.95, top-p 0.7, top-k 50), no newline stop, ROUGE-L recall"
    ),
}
TOKENS_NOTE = (
    "D_f / D_r: forget-side and retain-side tokens trained on, percent of the target's forget corpus "
    "(RS: its prompts and responses; RULE: those and ReBO's prompts; baselines: the forget corpus, and a "
    "retain corpus for GDR / KLR)."
)


def protocol_rows(summary: pd.DataFrame, protocol: str) -> pd.DataFrame:
    """The rows of one evaluation protocol (a summary from before protocols holds rwku's)."""
    if "protocol" not in summary:
        return summary if protocol == "rwku" else summary.iloc[0:0]
    return summary[summary["protocol"].fillna("rwku") == protocol]


def headers(columns: list[tuple[str, str]] | None = None) -> list[str]:
    return ["Method", "D_f / D_r tokens"] + [title for _, title in columns or SCORES]


def to_markdown(rows: list[list[str]], caption: str = "", columns: list[tuple[str, str]] | None = None) -> str:
    header = headers(columns)
    lines = [caption, ""] if caption else []
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines) + "\n"


def to_latex(rows: list[list[str]], columns: list[tuple[str, str]] | None = None) -> str:
    def escape(text: str) -> str:
        return text.replace("%", r"\%").replace("_", r"\_").replace(UNCALIBRATED, r"$^\dagger$")

    columns = columns or SCORES
    short = {"forget_fb": "FB", "forget_qa": "QA", "forget_aa": "AA", "forget_all": "All", "nat_read": "Read"}
    short |= {"nat_help": "Help", "nat_truth": "Truth", "nat_all": "All", "neighbor_fb": "FB", "neighbor_qa": "QA"}
    short |= {"neighbor_all": "All"}
    groups = [sum(c.startswith(prefix) for c, _ in columns) for prefix in ("forget", "nat", "neighbor")]
    spec = "l" + "c" * (len(columns) + 1)
    lines = [
        rf"\begin{{tabular}}{{{spec}}}",
        r"\toprule",
        rf" & & \multicolumn{{{groups[0]}}}{{c}}{{Forget $\downarrow$}}"
        rf" & \multicolumn{{{groups[1]}}}{{c}}{{Naturalness $\uparrow$}}"
        rf" & \multicolumn{{{groups[2]}}}{{c}}{{Retain $\uparrow$}} \\",
        r"Method & $D_f$ / $D_r$ tokens & " + " & ".join(short[c] for c, _ in columns) + r" \\",
        r"\midrule",
    ]
    lines += [" & ".join(escape(c) for c in cells) + r" \\" for cells in rows]
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


# (column, what it is, +1: higher is better) for the words on RULE against the best baseline
COMPARED = [("forget_all", "forget All", -1), ("neighbor_all", "neighbor All", 1), ("nat_all", "naturalness All", 1)]


def paired(reps: dict, protocol: str, column: str, a: str, b: str) -> tuple[float, float] | None:
    """The 95% interval of row a - row b (x100) from their paired resamples; None without scores."""
    first, second = (intervals.mean_over_targets(reps, m, protocol, column) for m in (a, b))
    if first is None or second is None:
        return None
    low, high = intervals.percentile_interval(first - second)
    return 100 * low, 100 * high


def verdict(bounds: tuple[float, float] | None, better: str) -> str:
    if bounds is None:
        return " (no probe scores: no interval)."
    low, high = bounds
    shown = (
        f"larger than its interval ({better})" if low > 0 or high < 0 else "within its interval: no difference shown"
    )
    return f" [{low:+.1f}, {high:+.1f}], {shown}."


def differences(means: pd.DataFrame, reps: dict, protocol: str) -> list[str]:
    """Per compared column: the best RULE row (ReBO, not RS only) against the best baseline, the
    paired difference with its 95% interval, and whether it is larger than its interval; then
    what RL changed: each ReBO row against RS only."""
    rule = [m for m in means.index if m.startswith("rule-")]
    base = [m for m in means.index if m in METHODS and (METHODS[m].trained_baseline or METHODS[m].prompts_target)]
    lines = []
    for column, title, sign in COMPARED:
        if column not in means or not rule or not base or means[column].loc[rule + base].isna().any():
            continue
        best_rule = max(rule, key=lambda m: sign * means.loc[m, column])
        best_base = max(base, key=lambda m: sign * means.loc[m, column])
        diff = 100 * (means.loc[best_rule, column] - means.loc[best_base, column])
        line = (
            f"- {title}: {DISPLAY.get(best_rule, best_rule)} {100 * means.loc[best_rule, column]:.1f} against "
            f"{DISPLAY.get(best_base, best_base)} {100 * means.loc[best_base, column]:.1f} (the best baseline): "
            f"difference {diff:+.1f}"
        )
        better = "RULE better" if sign * diff > 0 else "the baseline better"
        lines.append(line + verdict(paired(reps, protocol, column, best_rule, best_base), better))
    if "rs" in means.index:
        for column, title, sign in COMPARED:
            for m in rule:
                if column not in means or means[column].loc[[m, "rs"]].isna().any():
                    continue
                diff = 100 * (means.loc[m, column] - means.loc["rs", column])
                line = f"- RL, {title}: {DISPLAY.get(m, m)} {diff:+.1f} against RS only"
                better = "RL improved it" if sign * diff > 0 else "RL made it worse"
                lines.append(line + verdict(paired(reps, protocol, column, m, "rs"), better))
    return lines


def to_csv(tables: dict[str, pd.DataFrame]) -> str:
    frames = []
    for protocol, means in tables.items():
        frame = means.copy()
        frame.insert(0, "protocol", protocol)
        frame.insert(0, "display", [DISPLAY.get(m, m) for m in frame.index])
        frames.append(frame)
    return pd.concat(frames).to_csv(float_format="%.4f")


HELP_NOTE = (
    "No Help column: the judge grades no Helpfulness. The likelihood judge scores Readability (the reply's "
    "likelihood) and Truthfulness (the gold answers); whether a refusal still serves the user is neither, and "
    "SmolLM2-135M asked for rubric grades ranks at chance (AUC 0.50). Naturalness All is the mean of Read and "
    "Truth; a judge that grades Helpfulness (naturalness.judge.kind: endpoint or local) brings the column back."
)
INTERVAL_NOTE = "Brackets: 95% intervals, a paired bootstrap over probes (and judged replies), seeded."


def write_table(
    summary_path: str | Path,
    out_dir: str | Path,
    methods: list[str],
    benchmark: str,
    model: str,
    protocols: list[str] | None = None,
    scores_path: str | Path | None = None,
    seed: int = 0,
) -> None:
    """table.{csv,md,tex} for this benchmark and model's table methods: the first protocol's
    table (LaTeX: that one only), then each other protocol's; table_by_target.csv with every
    row (sweep points, checkpoints and protocols included). With the run's probe scores, the
    cells carry 95% intervals and the Markdown the differences in words."""
    protocols = protocols or ["rwku"]
    summary = pd.read_csv(summary_path)
    summary = summary[(summary["benchmark"] == benchmark) & (summary["model"] == model)]
    reps = {}
    if scores_path is not None:
        scores = pd.read_csv(scores_path, dtype={"level": str, "target": str})
        reps = intervals.replicates(scores[scores["method"].isin(methods)], seed)
    out = Path(out_dir)
    tables = {p: method_means(protocol_rows(summary, p), methods, reps, p) for p in protocols}
    columns = graded_columns(pd.concat(tables.values()))
    mark, note = judge_note(summary[summary["method"].isin(methods)])
    help_left_out = ("nat_help", "Help") not in columns and summary.get("nat_all", pd.Series()).notna().any()
    notes = [TOKENS_NOTE, note, HELP_NOTE if help_left_out else "", INTERVAL_NOTE if reps else ""]
    notes = " ".join(n for n in notes if n)
    parts = []
    for p, means in tables.items():
        parts.append(
            to_markdown(
                display_rows(means, mark, columns),
                f"**Evaluation protocol: {p}** ({PROTOCOL_NOTES[p]}). {notes}",
                columns,
            )
        )
        said = differences(means, reps, p) if reps else []
        if said:
            parts.append(
                "RULE against the best baseline, and each ReBO row against RS only (paired 95% intervals "
                "of the difference, x100):\n\n" + "\n".join(said) + "\n"
            )
    markdown = "\n".join(parts)
    write_text(out / "table.csv", to_csv(tables))
    write_text(out / "table.md", markdown)
    write_text(out / "table.tex", to_latex(display_rows(tables[protocols[0]], mark, columns), columns))
    write_text(out / "table_by_target.csv", summary.to_csv(index=False, float_format="%.4f"))
    write_text(out / "utility.md", utility_markdown(tables[protocols[0]]))
    print(markdown, flush=True)
