"""The paper's table rendered from the paper's own numbers, and the trade-off areas by hand."""

from pathlib import Path

import pandas as pd
import pytest
from conftest import SHARED

from rulepipe.report.summary import SCORE_COLUMNS
from rulepipe.report.table import display_rows, method_means, to_latex, to_markdown, write_table
from rulepipe.report.tradeoff import dominated_area, pareto_front, write_tradeoff

FIXTURE = Path(__file__).parent / "fixtures" / "paper_table.csv"


def paper_rows() -> pd.DataFrame:
    """The fixture as summary rows: scores on the 0-1 scale, one (fake) target."""
    frame = pd.read_csv(FIXTURE)
    scores = [c for c in frame.columns if c not in ("method", "d_f_percent", "d_r_percent")]
    frame[scores] = frame[scores] / 100
    frame["target"] = "paper"
    return frame


def test_table_from_the_papers_numbers_renders_as_the_paper():
    paper = (SHARED / "docs" / "PAPER.md").read_text().splitlines()
    start = next(i for i, line in enumerate(paper) if line.startswith("| Method | D_f / D_r tokens"))
    expected = "\n".join(paper[start : start + 16]) + "\n"
    frame = paper_rows()
    rendered = to_markdown(display_rows(method_means(frame, list(frame["method"]))))
    assert rendered == expected
    latex = to_latex(display_rows(method_means(frame, ["original", "rule-grpo"])))
    assert r"ReBO (GRPO) & 12.1\% / 8.03\% & 28.0 & 16.8 & 38.3 & 27.7 & 99.6" in latex


def test_pareto_front_and_area_by_hand():
    points = [(0.2, 0.9), (0.5, 0.7), (0.4, 0.6), (0.1, 0.5)]
    assert pareto_front(points) == [(0.2, 0.9), (0.5, 0.7)]
    assert dominated_area(points, 0.4) == pytest.approx(0.2 * 0.9 + 0.3 * 0.7)
    assert dominated_area(points, 0.8) == pytest.approx(0.2 * 0.9)
    assert dominated_area(points, 0.95) == 0.0


def test_report_files_from_a_summary(tmp_path):
    rows = []
    for target, shift in (("1_A", 0.0), ("2_B", 0.1)):
        for method, forget, retain in (
            ("original", 0.9, 0.9),
            ("ga", 0.3, 0.4),
            ("ga-lr3e-05", 0.1, 0.2),
            ("rule-grpo", 0.2, 0.8),
            ("rs", 0.5, 0.85),
        ):
            rows.append(
                {
                    "benchmark": "b",
                    "model": "m",
                    "method": method,
                    "target": target,
                    "forget_all": forget + shift,
                    "neighbor_all": retain - shift,
                }
            )
    summary = pd.DataFrame(rows).reindex(columns=["benchmark", "model", "method", "target"] + SCORE_COLUMNS)
    summary.to_csv(tmp_path / "summary.csv", index=False)
    write_table(tmp_path / "summary.csv", tmp_path / "report", ["original", "ga", "rs", "rule-grpo"], "b", "m")
    table = pd.read_csv(tmp_path / "report" / "table.csv", index_col=0)
    assert list(table.index) == ["original", "ga", "rs", "rule-grpo"]  # sweep points stay out of the table
    assert table.loc["ga", "forget_all"] == pytest.approx(0.35) and table.loc["ga", "targets"] == 2
    assert "| GA | 100% / 0 |" not in (tmp_path / "report" / "table.md").read_text()  # no token columns given
    areas = write_tradeoff(tmp_path / "summary.csv", tmp_path / "report" / "tradeoff.png", "b", "m")
    # RULE: rule-grpo (0.75, 0.75) and rs (0.45, 0.80): 0.45 * 0.8 + 0.3 * 0.75
    assert areas.loc["RULE", "retain>=0.6"] == pytest.approx(0.45 * 0.8 + 0.3 * 0.75)
    assert areas.loc["GA", "retain>=0.4"] == 0.0  # GA's runs all retain 0.35 or less
    assert (tmp_path / "report" / "tradeoff.png").stat().st_size > 10_000


def test_cells_carry_intervals_the_words_compare_and_an_ungraded_help_is_left_out(tmp_path):
    """RULE forgets every probe, GA none, on four probes: the paired difference's interval
    excludes 0; their neighbours are equal: within it. The judge graded no Helpfulness."""
    scores, rows = [], []
    for method, forget in (("rule-grpo", 0.0), ("ga", 1.0)):
        rows.append({"benchmark": "b", "model": "m", "method": method, "target": "1_A", "protocol": "rwku"})
        rows[-1] |= {"forget_all": forget, "neighbor_all": 0.5, "nat_read": 0.8, "nat_truth": 0.6, "nat_all": 0.7}
        for side, level, values in (("forget", "2", [forget] * 4), ("neighbor", "1", [0.0, 1.0] * 2)):
            scores += [
                {"method": method, "target": "1_A", "protocol": "rwku", "side": side, "level": level}
                | {"index": i, "score": v}
                for i, v in enumerate(values)
            ]
    pd.DataFrame(rows).to_csv(tmp_path / "summary.csv", index=False)
    pd.DataFrame(scores).to_csv(tmp_path / "scores.csv", index=False)
    write_table(
        tmp_path / "summary.csv", tmp_path / "report", ["rule-grpo", "ga"], "b", "m", None, tmp_path / "scores.csv"
    )
    md = (tmp_path / "report" / "table.md").read_text()
    # four 0/1 neighbour probes: all four 0 (or 1) is a 1-in-16 resample, so the 95% interval is [0, 100]
    assert (
        "| ReBO (GRPO) | n/a / n/a | - | - | - | 0.0 [0.0, 0.0] | 80.0 | 60.0 | 70.0 | - | - | 50.0 [0.0, 100.0] |"
        in md
    )
    assert "| Help |" not in md and "No Help column" in md
    assert (
        "forget All: ReBO (GRPO) 0.0 against GA 100.0 (the best baseline): difference -100.0 [-100.0, -100.0], "
        "larger than its interval (RULE better)." in md
    )
    assert (
        "neighbor All: ReBO (GRPO) 50.0 against GA 50.0 (the best baseline): difference +0.0 [+0.0, +0.0], "
        "within its interval" in md
    )
    assert "Help" not in (tmp_path / "report" / "table.tex").read_text()
    table = pd.read_csv(tmp_path / "report" / "table.csv", index_col=0)
    assert table.loc["ga", "neighbor_all_lo"] < 0.5 < table.loc["ga", "neighbor_all_hi"]
