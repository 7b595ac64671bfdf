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
