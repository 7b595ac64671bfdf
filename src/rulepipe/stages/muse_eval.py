"""The muse_eval stage: one model on a MUSE corpus' own metrics (VerbMem, KnowMem, PrivLeak)."""

from __future__ import annotations

import time

from rulepipe.data.target import Target
from rulepipe.evaluation.likelihood import Scorer
from rulepipe.evaluation.muse import MuseRun, evaluate_muse
from rulepipe.generation import from_config
from rulepipe.io import DataError, write_json
from rulepipe.methods import prompts_target
from rulepipe.prompts import ICU_INSTRUCTION


def muse_eval(model_dir: str, target_path: str, out_path: str, params: dict, method: str, seed: int = 0) -> dict:
    gen, spec = params["generation"], params["benchmark"]["muse"]
    target = Target.load(target_path)
    if not target.muse:
        raise DataError(f"{target_path}: not a MUSE target (benchmark.kind is not muse)")
    started = time.time()
    prefix = ICU_INSTRUCTION.format(target.name) if prompts_target(method) else ""  # ICU: the original, instructed
    with from_config(model_dir, gen, seed) as generator:
        scorer = Scorer(model_dir, params["mia"]["batch_size"], gen["max_model_len"], tokenizer=generator.tokenizer)
        print(f"[muse_eval] {method} on {target.target_id} with {generator.name}", flush=True)
        scoring = MuseRun(scorer, generator, gen["max_model_len"], prefix)
        record = evaluate_muse(scoring, target.muse, spec, params["mia"]["max_tokens"])
    record |= {"method": method, "model_dir": model_dir, "seconds": round(time.time() - started, 1)}
    write_json(out_path, record)
    print(
        f"[muse_eval] VerbMem {record['verbmem_f']:.1f} KnowMem forget {record['knowmem_f']:.1f} "
        f"retain {record['knowmem_r']:.1f} PrivLeak {record['privleak']:.1f} (AUC {record['privleak_auc']:.3f})",
        flush=True,
    )
    return record


def run(inputs: dict, outputs: dict, params: dict, seed: int) -> None:
    muse_eval(inputs["model"], inputs["target"], outputs["muse"], params, params["method"], seed)
