"""`results/summary.csv`: one tidy row per (benchmark, model, method, target).

Rows come from the evaluation JSONs at results/<benchmark>/<model>/<method>/<target>/eval.json;
later metrics add columns, never new files to join by hand.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rulepipe.io import read_json, write_text

KEY_COLUMNS = ["benchmark", "model", "method", "target"]
SCORE_COLUMNS = ["forget_fb", "forget_qa", "forget_aa", "forget_all", "neighbor_fb", "neighbor_qa", "neighbor_all"]


def summary_row(path: str | Path) -> dict:
    path = Path(path)
    benchmark, model, method, target = path.parts[-5:-1]
    record = read_json(path)
    row = {"benchmark": benchmark, "model": model, "method": method, "target": target}
    for side in ("forget", "neighbor"):
        for key in ("fb", "qa", "aa", "all"):
            if key in record[side]:
                row[f"{side}_{key}"] = record[side][key]
    return row


def write_summary(evals: list[str], out: str | Path, scan_root: str | None = None) -> pd.DataFrame:
    paths = {str(Path(p)) for p in evals}
    if scan_root:
        paths |= {str(p) for p in Path(scan_root).glob("*/*/*/*/eval.json")}
    rows = [summary_row(p) for p in sorted(paths)]
    frame = pd.DataFrame(rows, columns=KEY_COLUMNS + SCORE_COLUMNS)
    frame = frame.sort_values(KEY_COLUMNS).reset_index(drop=True)
    write_text(out, frame.to_csv(index=False, float_format="%.4f"))
    print(f"[summarize] {len(frame)} rows -> {out}", flush=True)
    return frame
