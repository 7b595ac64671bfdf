import json

import pandas as pd

from rulepipe.report.summary import COLUMNS, write_summary


def _eval(path, forget_all, neighbor_all):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "forget": {"fb": 0.5, "qa": 0.25, "aa": forget_all * 3 - 0.75, "all": forget_all},
                "neighbor": {"fb": 1.0, "qa": neighbor_all * 2 - 1.0, "all": neighbor_all},
            }
        )
    )


def test_one_row_per_benchmark_model_method_target(tmp_path):
    a = tmp_path / "fictional" / "smol" / "original" / "1_A" / "eval.json"
    b = tmp_path / "fictional" / "smol" / "base" / "1_A" / "eval.json"
    c = tmp_path / "rwku" / "smol" / "original" / "1_Stephen_King" / "eval.json"
    _eval(a, 0.9, 0.8)
    _eval(b, 0.05, 0.04)
    _eval(c, 0.1, 0.2)
    frame = write_summary([str(a), str(b), str(a)], tmp_path / "summary.csv")
    assert list(frame.columns) == COLUMNS
    on_disk = pd.read_csv(tmp_path / "summary.csv")
    assert len(on_disk) == 2  # the files named, each once: c, though on disk, is not this run's
    row = on_disk.set_index(["benchmark", "method", "target"]).loc[("fictional", "original", "1_A")]
    assert row["forget_all"] == 0.9 and row["neighbor_all"] == 0.8 and row["forget_fb"] == 0.5
    assert set(on_disk["method"]) == {"base", "original"}


def test_a_row_per_protocol_and_the_table_per_protocol(tmp_path):
    from rulepipe.report.table import write_table

    path = tmp_path / "fictional" / "smol" / "original" / "1_A" / "eval.json"
    path.parent.mkdir(parents=True)
    scores = {
        "rwku": {"forget": {"all": 0.9}, "neighbor": {"all": 0.8}},
        "rule_release": {"forget": {"all": 0.7}, "neighbor": {"all": 0.6}},
    }
    path.write_text(json.dumps({"protocol": "rwku", **scores["rwku"], "protocols": scores}))
    frame = write_summary([str(path)], tmp_path / "summary.csv")
    assert frame.set_index("protocol")["forget_all"].to_dict() == {"rule_release": 0.7, "rwku": 0.9}
    write_table(
        tmp_path / "summary.csv", tmp_path / "report", ["original"], "fictional", "smol", ["rule_release", "rwku"]
    )
    md = (tmp_path / "report" / "table.md").read_text()
    assert md.index("Evaluation protocol: rule_release") < md.index("Evaluation protocol: rwku")
    assert "| Original | 0 / 0 | - | - | - | 70.0 |" in md and "| Original | 0 / 0 | - | - | - | 90.0 |" in md
    table = pd.read_csv(tmp_path / "report" / "table.csv")
    assert table.set_index("protocol")["forget_all"].to_dict() == {"rule_release": 0.7, "rwku": 0.9}
    assert "70.0" in (tmp_path / "report" / "table.tex").read_text()  # LaTeX: the first protocol's


def test_probe_scores_intervals_and_checkpoint_rows(tmp_path):
    """A run's probes become probe_scores.csv and its 95% intervals; a ReBO run's in-loop
    evaluations (checkpoints.json beside its eval.json) become rows of their own."""

    def record(values):
        items = [{"side": "forget", "level": "2", "rouge_l_recall": v} for v in values]
        items += [{"side": "neighbor", "level": "1", "rouge_l_recall": 1.0}] * 3
        scores = {"forget": {"qa": sum(values) / len(values), "all": sum(values) / len(values)}}
        return {"protocol": "rwku", **scores, "neighbor": {"fb": 1.0, "all": 1.0}, "items": items}

    path = tmp_path / "fictional" / "smol" / "rule-grpo" / "1_A" / "eval.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(record([0.0, 1.0])))
    (path.parent / "checkpoints.json").write_text(json.dumps({"evaluations": [{"step": 4, **record([1.0, 1.0])}]}))
    (path.parent / "naturalness.json").write_text(json.dumps({"judge_scores": [{"read": 0.5, "truth": None}] * 2}))
    frame = write_summary([str(path)], tmp_path / "summary.csv", seed=0).set_index("method")
    assert list(frame.index) == ["rule-grpo", "rule-grpo-step4"]
    assert (frame.loc["rule-grpo", "forget_all_lo"], frame.loc["rule-grpo", "forget_all_hi"]) == (0.0, 1.0)
    assert frame.loc["rule-grpo-step4", "forget_qa_lo"] == 1.0 and frame.loc["rule-grpo", "neighbor_all_lo"] == 1.0
    assert frame.loc["rule-grpo", "nat_read_lo"] == 0.5 and pd.isna(frame.loc["rule-grpo", "nat_truth_lo"])
    scores = pd.read_csv(tmp_path / "probe_scores.csv")
    assert len(scores) == 5 + 5 + 4  # two runs' probes, two replies' two criteria
    write_summary([str(path)], tmp_path / "again.csv", seed=0)
    assert (tmp_path / "summary.csv").read_bytes() == (tmp_path / "again.csv").read_bytes()
