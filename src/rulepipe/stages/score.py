"""The score stage: one model, one target, loaded once and scored three ways: RWKU's forget and
neighbor probes under each configured protocol (`eval.json`), the utility sets (`utility.json`,
where `utility.limits` asks for any) and membership inference (`mia.json`).

One process shares the imports, the generation engine and the teacher-forced scorer's model
across the three. On the CPU default each used to run in a process of its own, which paid about
8 s of imports and 17 s of vLLM start-up per model and part (SmolLM2-135M, one thread): about a
third of the default's scoring time. The cost: a change to any of the four config sections the
stage reads reruns all three parts.
"""

from __future__ import annotations

import time

from rulepipe.data.target import Target
from rulepipe.evaluation.likelihood import Scorer
from rulepipe.evaluation.mia import mia_record, score_texts
from rulepipe.evaluation.rwku_probes import evaluate_target
from rulepipe.evaluation.utility import UtilityRun, evaluate_utility
from rulepipe.generation import Generator, from_config
from rulepipe.generation.hf_backend import load_for_inference
from rulepipe.io import read_json, write_json
from rulepipe.methods import prompts_target
from rulepipe.prompts import ICU_INSTRUCTION
from rulepipe.stages import optional


def probes(generator: Generator, target: Target, out_path: str, params: dict, who: dict, seed: int) -> dict:
    """RWKU's probes under each protocol: `eval.json` holds the first protocol's record (what the
    table and the naturalness judge read) and, under `protocols`, every protocol's scores."""
    ev, method = params["evaluation"], who["method"]
    # ICU (in-context unlearning) is the original model asked with RWKU's unlearning instruction.
    unlearn_target = target.name if prompts_target(method) else None
    print(
        f"[score] {method} on {target.target_id} with {generator.name}: "
        f"{len(target.forget_probes)} forget + {len(target.neighbor_probes)} neighbor probes",
        flush=True,
    )
    records = {
        protocol: evaluate_target(generator, target, unlearn_target, protocol, ev, seed) for protocol in ev["protocols"]
    }
    first = ev["protocols"][0]
    record = dict(records[first])
    record["protocols"] = {  # the first protocol's items are the record's own
        protocol: {key: r[key] for key in ("forget", "neighbor", "generation")}
        | ({} if protocol == first else {"items": r["items"]})
        for protocol, r in records.items()
    }
    record |= who
    write_json(out_path, record)

    def shown(side: dict, keys: tuple[str, ...]) -> str:  # a benchmark may lack a level (MUSE: QA only)
        names = {"fb": "FB", "qa": "QA", "aa": "AA", "all": "All"}
        return " ".join(f"{names[k]} {'-' if side.get(k) is None else f'{side[k]:.3f}'}" for k in keys)

    for protocol, scores in record["protocols"].items():
        forget, neighbor = (
            shown(scores["forget"], ("fb", "qa", "aa", "all")),
            shown(scores["neighbor"], ("fb", "qa", "all")),
        )
        print(f"[score] {protocol}: forget {forget} | neighbor {neighbor}", flush=True)
    return record


def utility(
    generator: Generator, scorer: Scorer, target: Target, out_path: str, params: dict, who: dict, sets_path: str | None
) -> dict:
    """The target's own utility sets, or the prepared shared ones (`sets_path`)."""
    settings, max_len = params["utility"], params["generation"]["max_model_len"]
    sets = read_json(sets_path) if sets_path else target.utility
    started = time.time()
    scoring = UtilityRun(scorer, generator, max_len, target.name if prompts_target(who["method"]) else None)
    record = evaluate_utility(scoring, sets, settings["limits"], settings["bbh_char_compat"])
    record["seconds"]["total"] = round(time.time() - started, 1)
    record |= who
    write_json(out_path, record)
    if not any(record["count"].values()):
        print(f"[score] {target.target_id} carries no utility sets (see utility.path in the config)", flush=True)
    return record


def mia(scorer: Scorer, target: Target, out_path: str, params: dict, who: dict) -> dict:
    """LOSS / zlib / Min-K% / Min-K%++ on the target's forget and retain member texts."""
    k, limit = params["mia"]["k"], params["mia"]["max_tokens"]
    forget, retain = target.mia_member, target.mia_nonmember
    if prompts_target(who["method"]):  # RWKU scores the instruction and the text together for ICU
        prefix = ICU_INSTRUCTION.format(target.name)
        forget, retain = [prefix + t for t in forget], [prefix + t for t in retain]
    record = mia_record(score_texts(scorer, forget, k, limit), score_texts(scorer, retain, k, limit))
    record |= who | {"k": k}
    write_json(out_path, record)
    shown = {key: record[key] for key in ("forget_loss", "retain_loss", "auc_loss")}
    print(f"[score] mia: {record['count']} texts, {shown}", flush=True)
    return record


def run(inputs: dict, outputs: dict, params: dict, seed: int) -> None:
    model_dir, gen = inputs["model"], params["generation"]
    who = {"method": params["method"], "model_dir": model_dir}  # what each record names
    target = Target.load(inputs["target"])
    with from_config(model_dir, gen, seed) as generator:
        # one set of weights for teacher-forced scoring (the HF generator's own, where it is one)
        model, tokenizer = getattr(generator, "model", None) or load_for_inference(model_dir), generator.tokenizer

        def scorer(batch_size: int, max_length: int) -> Scorer:
            return Scorer(model_dir, batch_size, max_length, model=model, tokenizer=tokenizer)

        probes(generator, target, outputs["eval"], params, who, seed)
        if "utility" in outputs:
            utility_scorer = scorer(params["utility"]["batch_size"], gen["max_model_len"])
            utility(generator, utility_scorer, target, outputs["utility"], params, who, optional(inputs, "sets"))
        mia(scorer(params["mia"]["batch_size"], params["mia"]["max_tokens"]), target, outputs["mia"], params, who)
