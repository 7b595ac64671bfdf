"""The paper's main table (PAPER.md section 3) from `summary.csv`: one row per method averaged
over targets, x100, as CSV, Markdown and LaTeX, plus the per-target breakdown and the utility /
MIA table (`utility.md`; its numbers are also columns of table.csv)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rulepipe.io import write_text
from rulepipe.methods import METHODS
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
HEADER = ["Method", "D_f / D_r tokens"] + [title for _, title in SCORES]
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


def method_means(summary: pd.DataFrame, methods: list[str] | None = None) -> pd.DataFrame:
    """Mean over targets per method (the table's rows), in the paper's row order."""
    numeric = SCORE_COLUMNS + TOKEN_COLUMNS + NATURALNESS_COLUMNS + PROXY_COLUMNS + UTILITY_COLUMNS + list(MIA_COLUMNS)
    present = [c for c in numeric if c in summary]
    frame = summary if methods is None else summary[summary["method"].isin(methods)]
    means = frame.groupby("method")[present].mean()
    means["targets"] = frame.groupby("method")["target"].nunique()
    rank = {m: i for i, m in enumerate(methods or ORDER)}
    return means.loc[sorted(means.index, key=lambda m: (rank.get(m, len(rank)), m))]


def _share(value: float) -> str:
    if pd.isna(value):
        return "n/a"
    return "0" if value == 0 else f"{value:g}%"


def _score(value: float) -> str:
    return "-" if pd.isna(value) else f"{100 * value:.1f}"


def display_rows(means: pd.DataFrame, judge_mark: str = "") -> list[list[str]]:
    """The table's cells; `judge_mark` follows every judge score (an uncalibrated judge's)."""
    rows = []
    for method, row in means.iterrows():
        cells = [DISPLAY.get(method, method), f"{_share(row.get('d_f_percent'))} / {_share(row.get('d_r_percent'))}"]
        for column, _ in SCORES:
            cell = _score(row.get(column, float("nan")))
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


def to_markdown(rows: list[list[str]], caption: str = "") -> str:
    lines = [caption, ""] if caption else []
    lines += ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines) + "\n"


def to_latex(rows: list[list[str]]) -> str:
    def escape(text: str) -> str:
        return text.replace("%", r"\%").replace("_", r"\_").replace(UNCALIBRATED, r"$^\dagger$")

    spec = "l" + "c" * (len(HEADER) - 1)
    lines = [
        rf"\begin{{tabular}}{{{spec}}}",
        r"\toprule",
        r" & & \multicolumn{4}{c}{Forget $\downarrow$} & \multicolumn{4}{c}{Naturalness $\uparrow$}"
        r" & \multicolumn{3}{c}{Retain $\uparrow$} \\",
        r"Method & $D_f$ / $D_r$ tokens & FB & QA & AA & All & Read & Help & Truth & All & FB & QA & All \\",
        r"\midrule",
    ]
    lines += [" & ".join(escape(c) for c in cells) + r" \\" for cells in rows]
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def to_csv(tables: dict[str, pd.DataFrame]) -> str:
    frames = []
    for protocol, means in tables.items():
        frame = means.copy()
        frame.insert(0, "protocol", protocol)
        frame.insert(0, "display", [DISPLAY.get(m, m) for m in frame.index])
        frames.append(frame)
    return pd.concat(frames).to_csv(float_format="%.4f")


def write_table(
    summary_path: str | Path,
    out_dir: str | Path,
    methods: list[str],
    benchmark: str,
    model: str,
    protocols: list[str] | None = None,
) -> None:
    """table.{csv,md,tex} for this benchmark and model's table methods: the first protocol's
    table (LaTeX: that one only), then each other protocol's; table_by_target.csv with every
    row (sweep points and protocols included)."""
    protocols = protocols or ["rwku"]
    summary = pd.read_csv(summary_path)
    summary = summary[(summary["benchmark"] == benchmark) & (summary["model"] == model)]
    out = Path(out_dir)
    tables = {protocol: method_means(protocol_rows(summary, protocol), methods) for protocol in protocols}
    mark, note = judge_note(summary[summary["method"].isin(methods)])
    markdown = "\n".join(
        to_markdown(
            display_rows(means, mark), f"**Evaluation protocol: {p}** ({PROTOCOL_NOTES[p]}). {TOKENS_NOTE} {note}"
        )
        for p, means in tables.items()
    )
    write_text(out / "table.csv", to_csv(tables))
    write_text(out / "table.md", markdown)
    write_text(out / "table.tex", to_latex(display_rows(tables[protocols[0]], mark)))
    write_text(out / "table_by_target.csv", summary.to_csv(index=False, float_format="%.4f"))
    write_text(out / "utility.md", utility_markdown(tables[protocols[0]]))
    print(markdown, flush=True)
