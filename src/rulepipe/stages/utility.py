"""The utility stage: one model, one target's RWKU utility sets (MMLU, BBH, TruthfulQA,
TriviaQA, fluency)."""

from __future__ import annotations

import time

from rulepipe.data.target import Target
from rulepipe.evaluation.likelihood import Scorer
from rulepipe.evaluation.utility import UtilityRun, evaluate_utility
from rulepipe.generation import from_config
from rulepipe.io import read_json, write_json
from rulepipe.methods import prompts_target
from rulepipe.stages import optional


def utility(
    model_dir: str,
    target_path: str,
    out_path: str,
    params: dict,
    method: str,
    seed: int = 0,
    sets_path: str | None = None,
) -> dict:
    """Scores the target's own utility sets, or the prepared shared ones (`sets_path`)."""
    gen, settings = params["generation"], params["utility"]
    target = Target.load(target_path)
    sets = read_json(sets_path) if sets_path else target.utility
    started = time.time()
    with from_config(model_dir, gen, seed) as generator:
        scorer = Scorer(model_dir, settings["batch_size"], gen["max_model_len"], tokenizer=generator.tokenizer)
        print(f"[utility] {method} on {target.target_id} with {generator.name}", flush=True)
        scoring = UtilityRun(scorer, generator, gen["max_model_len"], target.name if prompts_target(method) else None)
        record = evaluate_utility(scoring, sets, settings["limits"], settings["bbh_char_compat"])
    record["seconds"]["total"] = round(time.time() - started, 1)
    record |= {"method": method, "model_dir": model_dir}
    write_json(out_path, record)
    if not any(record["count"].values()):
        print(f"[utility] {target.target_id} carries no utility sets (see utility.path in the config)", flush=True)
    return record


def run(inputs: dict, outputs: dict, params: dict, seed: int) -> None:
    sets = optional(inputs, "sets")
    utility(inputs["model"], inputs["target"], outputs["utility"], params, params["method"], seed, sets)
