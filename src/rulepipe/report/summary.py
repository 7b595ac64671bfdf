"""`results/summary.csv`: one tidy row per (benchmark, model, method, target, protocol).

Rows come from the evaluation JSONs at results/<benchmark>/<model>/<method>/<target>/eval.json,
joined with the files other stages leave beside them (`naturalness.json`, `utility.json`,
`mia.json`) and RULE's token budget (`rule/<target>/budget.json`); later metrics add columns,
never new files to join by hand.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rulepipe.io import read_json, write_text
from rulepipe.methods import method_of

KEY_COLUMNS = ["benchmark", "model", "method", "target", "protocol"]
SCORE_COLUMNS = ["forget_fb", "forget_qa", "forget_aa", "forget_all", "neighbor_fb", "neighbor_qa", "neighbor_all"]
TOKEN_COLUMNS = ["d_f_percent", "d_r_percent"]
NATURALNESS_COLUMNS = ["nat_read", "nat_help", "nat_truth", "nat_all"]
PROXY_COLUMNS = ["refusal_rate", "named_rate", "repetition_rate", "distinct_2", "fluency_entropy"]
INFO_COLUMNS = ["judge", "judge_parse_rate", "judge_calibrated", "judge_read_auc", "judge_truth_auc", "empty_levels"]
UTILITY_COLUMNS = ["mmlu", "bbh", "truthfulqa_mc1", "truthfulqa_mc2", "triviaqa_em", "triviaqa_f1", "fluency"]
MIA_COLUMNS = {"mia_forget_loss": "forget_loss", "mia_retain_loss": "retain_loss", "mia_auc": "auc_loss"}
COLUMNS = (
    KEY_COLUMNS
    + SCORE_COLUMNS
    + TOKEN_COLUMNS
    + NATURALNESS_COLUMNS
    + PROXY_COLUMNS
    + INFO_COLUMNS
    + UTILITY_COLUMNS
    + list(MIA_COLUMNS)
)


def token_shares(run: str, method_root: Path, target: str) -> tuple[float, float]:
    """The paper's "# Tokens" columns, percent of the target's forget corpus: D_f the
    forget-side text a method trains on, D_r the retain-side text. RS and RULE: what
    rs_sample counted (RS: its prompts and responses; RULE: those and ReBO's prompts); the
    baselines: the whole forget corpus, and a retain corpus of the same order for GDR / KLR."""
    method = method_of(run)
    if method is None:
        return float("nan"), float("nan")
    if method.tokens in ("rs", "rule"):
        rs_data = method_root / "rs" / target / "rs_data.json"
        if not rs_data.exists():
            return float("nan"), float("nan")
        tokens = read_json(rs_data)["report"].get("tokens", {}).get(method.tokens)
        return (tokens["d_f_percent"], tokens["d_r_percent"]) if tokens else (float("nan"), float("nan"))
    return {"none": (0.0, 0.0), "forget": (100.0, 0.0), "forget+retain": (100.0, 100.0)}[method.tokens]


def summary_rows(path: str | Path) -> list[dict]:
    """One row per evaluation protocol in an eval.json (a record from before protocols: rwku)."""
    path = Path(path)
    benchmark, model, method, target = path.parts[-5:-1]
    record = read_json(path)
    protocols = record.get("protocols") or {record.get("protocol", "rwku"): record}
    shared = shared_columns(path, method, target)
    rows = []
    for protocol, scores in protocols.items():
        row = {"benchmark": benchmark, "model": model, "method": method, "target": target, "protocol": protocol}
        empty = []
        for side in ("forget", "neighbor"):
            for key in ("fb", "qa", "aa", "all"):
                if key in scores[side]:
                    row[f"{side}_{key}"] = scores[side][key]
            empty += [f"{side}_{key}" for key, n in scores[side].get("count", {}).items() if n == 0]
        if empty:  # benchmark.allow_empty_levels: the All columns average the other levels
            row["empty_levels"] = " ".join(empty)
        rows.append(row | shared)
    return rows


def shared_columns(path: Path, method: str, target: str) -> dict:
    """The columns every protocol's row shares: token shares, naturalness, utility, MIA."""
    row = {}
    row["d_f_percent"], row["d_r_percent"] = token_shares(method, path.parents[2], target)
    naturalness = path.with_name("naturalness.json")
    if naturalness.exists():
        found = read_json(naturalness)
        row |= {key: found[key] for key in NATURALNESS_COLUMNS + PROXY_COLUMNS + INFO_COLUMNS if key in found}
        calibration = found.get("judge_calibration", {})
        row |= {f"judge_{key}": calibration[key] for key in ("read_auc", "truth_auc") if key in calibration}
    utility = path.with_name("utility.json")
    if utility.exists():
        found = read_json(utility)
        row |= {key: found[key] for key in UTILITY_COLUMNS if key in found}
    mia = path.with_name("mia.json")
    if mia.exists():
        found = read_json(mia)
        row |= {column: found.get(key) for column, key in MIA_COLUMNS.items()}
    return row


def write_summary(evals: list[str], out: str | Path) -> pd.DataFrame:
    """The rows of `evals` (the run's eval.json files, each read with the files beside it)."""
    rows = [row for p in sorted({str(Path(p)) for p in evals}) for row in summary_rows(p)]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame = frame.sort_values(KEY_COLUMNS).reset_index(drop=True)
    write_text(out, frame.to_csv(index=False, float_format="%.4f"))
    print(f"[summarize] {len(frame)} rows -> {out}", flush=True)
    return frame
