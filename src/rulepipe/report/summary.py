"""`results/summary.csv`: one tidy row per (benchmark, model, method, target, protocol).

Rows come from the evaluation JSONs at results/<benchmark>/<model>/<method>/<target>/eval.json,
joined with the files other stages leave beside them (`naturalness.json`, `utility.json`,
`mia.json`) and RULE's token budget (the warm start's `rs/<target>/rs_data.json` report); later metrics add columns,
never new files to join by hand. A trained run's in-loop evaluations (ReBO's and the baselines':
`checkpoints.json` beside its eval.json) add a row per checkpoint (`rule-grpo-step4`), the points
of its trade-off curve.

Beside it, `probe_scores.csv` holds every scored unit (a probe's ROUGE-L recall, a reply's judge
score) of those rows: the sample that `report.intervals` resamples. summary.csv's `{column}_lo`
and `{column}_hi` are the 95% intervals of the forget, neighbor and naturalness columns.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rulepipe.io import read_json, write_text
from rulepipe.methods import checkpoint_run, method_of
from rulepipe.report import intervals

KEY_COLUMNS = ["benchmark", "model", "method", "target", "protocol"]
SCORE_COLUMNS = ["forget_fb", "forget_qa", "forget_aa", "forget_all", "neighbor_fb", "neighbor_qa", "neighbor_all"]
TOKEN_COLUMNS = ["d_f_percent", "d_r_percent"]
NATURALNESS_COLUMNS = ["nat_read", "nat_help", "nat_truth", "nat_all"]
PROXY_COLUMNS = ["refusal_rate", "named_rate", "repetition_rate", "distinct_2", "fluency_entropy"]
INFO_COLUMNS = ["judge", "judge_parse_rate", "judge_calibrated", "judge_read_auc", "judge_truth_auc", "empty_levels"]
UTILITY_COLUMNS = ["mmlu", "bbh", "truthfulqa_mc1", "truthfulqa_mc2", "triviaqa_em", "triviaqa_f1", "fluency"]
MIA_COLUMNS = {"mia_forget_loss": "forget_loss", "mia_retain_loss": "retain_loss", "mia_auc": "auc_loss"}
INTERVAL_COLUMNS = [f"{column}_{end}" for column in intervals.COLUMNS for end in ("lo", "hi")]
COLUMNS = (
    KEY_COLUMNS
    + SCORE_COLUMNS
    + INTERVAL_COLUMNS
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


def summary_rows(path: str | Path) -> tuple[list[dict], list[dict]]:
    """One row per evaluation protocol in an eval.json (a record from before protocols: rwku), and
    a row per in-loop checkpoint evaluation beside it; with the probe scores of those rows."""
    path = Path(path)
    benchmark, model, method, target = path.parts[-5:-1]
    record = read_json(path)
    runs = [(method, record, shared_columns(path, method, target))]
    checkpoints = path.with_name("checkpoints.json")
    if checkpoints.exists():  # in-loop evaluations along training: the run's curve
        runs += [(checkpoint_run(method, c["step"]), c, {}) for c in read_json(checkpoints)["evaluations"]]
    rows, scores = [], []
    for run, evaluated, shared in runs:
        protocols = evaluated.get("protocols") or {evaluated.get("protocol", "rwku"): evaluated}
        for protocol, result in protocols.items():
            row = {"benchmark": benchmark, "model": model, "method": run, "target": target, "protocol": protocol}
            empty = []
            for side in ("forget", "neighbor"):
                for key in ("fb", "qa", "aa", "all"):
                    if key in result[side]:
                        row[f"{side}_{key}"] = result[side][key]
                empty += [f"{side}_{key}" for key, n in result[side].get("count", {}).items() if n == 0]
            if empty:  # benchmark.allow_empty_levels: the All columns average the other levels
                row["empty_levels"] = " ".join(empty)
            rows.append(row | shared)
            own = evaluated.get("items", []) if protocol == first_protocol(evaluated) else []
            items = result.get("items") or own
            scores += probe_scores(run, target, protocol, items)
        if run == method:
            scores += judge_scores(path.with_name("naturalness.json"), run, target, first_protocol(evaluated))
    return rows, scores


def first_protocol(record: dict) -> str:
    """The protocol whose items are the record's own (`items`; the others keep theirs inside)."""
    return record.get("protocol", "rwku")


def probe_scores(run: str, target: str, protocol: str, items: list[dict]) -> list[dict]:
    """A row per scored probe: its side, level, position within them, ROUGE-L recall."""
    seen: dict[tuple[str, str], int] = {}
    rows = []
    for item in items:
        part = (item["side"], str(item["level"]))
        seen[part] = seen.get(part, -1) + 1
        rows.append(
            {"method": run, "target": target, "protocol": protocol, "side": part[0], "level": part[1]}
            | {"index": seen[part], "score": item["rouge_l_recall"]}
        )
    return rows


def judge_scores(path: Path, run: str, target: str, protocol: str) -> list[dict]:
    """A row per graded reply and criterion of a naturalness.json that kept them (None: ungraded)."""
    if not path.exists():
        return []
    rows = []
    for index, graded in enumerate(read_json(path).get("judge_scores", [])):
        for criterion, value in graded.items():
            rows.append(
                {"method": run, "target": target, "protocol": protocol, "side": f"nat_{criterion}", "level": "0"}
                | {"index": index, "score": float("nan") if value is None else value}
            )
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


def write_summary(
    evals: list[str], out: str | Path, seed: int = 0, scores_out: str | Path | None = None
) -> pd.DataFrame:
    """The rows of `evals` (the run's eval.json files, each read with the files beside it) with
    their 95% intervals -> `out`; their scored probes -> `scores_out` (probe_scores.csv beside)."""
    rows, scores = [], []
    for path in sorted({str(Path(p)) for p in evals}):
        found, scored = summary_rows(path)
        rows += found
        scores += scored
    frame = pd.DataFrame(rows).reindex(columns=[c for c in COLUMNS if c not in INTERVAL_COLUMNS])
    score_frame = pd.DataFrame(scores, columns=intervals.SCORE_FRAME)
    bounds = intervals.interval_frame(score_frame, seed)
    frame = frame.merge(bounds, on=intervals.RUN, how="left").reindex(columns=COLUMNS)
    frame = frame.sort_values(KEY_COLUMNS).reset_index(drop=True)
    write_text(scores_out or Path(out).with_name("probe_scores.csv"), score_frame.to_csv(index=False))
    write_text(out, frame.to_csv(index=False, float_format="%.4f"))
    print(f"[summarize] {len(frame)} rows, {len(score_frame)} scored probes and replies -> {out}", flush=True)
    return frame
