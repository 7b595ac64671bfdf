"""`results/report/muse.{csv,md}`: MUSE's table, one row per method (averaged over corpora)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rulepipe.io import read_json, write_text
from rulepipe.report.table import DISPLAY

COLUMNS = {
    "verbmem_f": "VerbMem on D_f (lower)",
    "knowmem_f": "KnowMem on D_f (lower)",
    "knowmem_r": "KnowMem on D_r (higher)",
    "privleak": "PrivLeak (near 0)",
}


def write_muse_table(records: list[str], methods: list[str], out_dir: str | Path) -> pd.DataFrame:
    """`records` are muse.json files, `methods` the same length (the table's row order)."""
    rows = []
    for path, method in zip(records, methods, strict=True):
        found = read_json(path)
        rows.append({"method": method} | {key: found[key] for key in COLUMNS})
    frame = pd.DataFrame(rows).groupby("method", sort=False).mean()
    out = Path(out_dir)
    write_text(out / "muse.csv", frame.to_csv(float_format="%.2f"))
    shown = frame.rename(columns=COLUMNS, index=lambda m: DISPLAY.get(m, m))
    header = "| Method | " + " | ".join(shown.columns) + " |"
    lines = [header, "|" + "---|" * (len(shown.columns) + 1)]
    lines += ["| " + name + " | " + " | ".join(f"{v:.1f}" for v in row) + " |" for name, row in shown.iterrows()]
    write_text(out / "muse.md", "\n".join(lines) + "\n")
    print(f"[muse-table] {len(frame)} methods -> {out / 'muse.csv'}, {out / 'muse.md'}", flush=True)
    return frame
