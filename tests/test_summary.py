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
    frame = write_summary([str(a), str(b)], tmp_path / "summary.csv", scan_root=str(tmp_path))
    assert list(frame.columns) == COLUMNS
    on_disk = pd.read_csv(tmp_path / "summary.csv")
    assert len(on_disk) == 3
    row = on_disk.set_index(["benchmark", "method", "target"]).loc[("fictional", "original", "1_A")]
    assert row["forget_all"] == 0.9 and row["neighbor_all"] == 0.8 and row["forget_fb"] == 0.5
    assert set(on_disk["method"]) == {"base", "original"}
