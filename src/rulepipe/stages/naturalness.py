"""The naturalness stage: every method's responses to one target's forget probes, scored by the
proxies and by one judge (loaded once for all methods) -> `naturalness.json` beside each
method's `eval.json`. In the same call the judge scores the target's calibration set
(`evaluation.calibration`); its AUCs and verdict go into every `naturalness.json`."""

from __future__ import annotations

from pathlib import Path

from rulepipe.evaluation.calibration import calibration, calibration_items
from rulepipe.evaluation.likelihood_judge import LikelihoodJudge
from rulepipe.evaluation.naturalness import EndpointJudge, LocalJudge, aggregate, proxies
from rulepipe.io import read_json, write_json
from rulepipe.stages import optional


def make_judge(cfg: dict, judge_dir: str | None, generation: dict, seed: int):
    if cfg["kind"] == "endpoint":
        limits = cfg["timeout_s"], cfg["time_limit_s"]
        return EndpointJudge(cfg["url"], cfg["endpoint_model"], cfg["api_key_env"], cfg["max_new_tokens"], *limits)
    if cfg["kind"] == "local":
        return LocalJudge(judge_dir, generation, seed, cfg["max_new_tokens"], f"local:{cfg['model']}")
    if cfg["kind"] == "likelihood":
        return LikelihoodJudge(judge_dir, f"likelihood:{cfg['model']}")
    return None


def naturalness(evals: list[str], outs: list[str], params: dict, judge_dir: str | None = None, seed: int = 0) -> None:
    records = [read_json(path) for path in evals]
    forget_items = [[item for item in r["items"] if item["side"] == "forget"] for r in records]
    judge = make_judge(params["naturalness"]["judge"], judge_dir, params["generation"], seed)
    scores: list[list[dict]] = [[] for _ in records]
    checked: dict = {}
    if judge is not None:
        labelled = calibration_items(records[0]["name"], records[0]["items"], seed)
        with judge:
            scores, labelled_scores = judge.grade(forget_items, labelled)
        checked = calibration(labelled, labelled_scores, judge.criteria)
        print(f"[naturalness] judge calibration: {checked}", flush=True)
    for i, (record, items, out) in enumerate(zip(records, forget_items, outs, strict=True)):
        result = {"method": record["method"], "target": record["target"], "responses": len(items)}
        result |= proxies([item["prediction"] for item in items], [record["name"]])
        if judge is not None:
            result |= aggregate(scores[i], judge)
            result |= {"judge_calibrated": checked["calibrated"], "judge_calibration": checked}
            result |= judge.written(i)
        write_json(out, result)
        shown = {k: round(v, 3) for k, v in result.items() if isinstance(v, float)}
        print(f"[naturalness] {record['method']} on {record['target']}: {shown}", flush=True)
    if outs:
        print(f"[naturalness] wrote {len(outs)} files, e.g. {Path(outs[0])}", flush=True)


def run(inputs: dict, outputs: dict, params: dict, seed: int) -> None:
    naturalness(inputs["evals"], outputs["naturalness"], params, optional(inputs, "judge"), seed)
