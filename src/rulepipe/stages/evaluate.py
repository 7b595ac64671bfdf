"""The evaluate stage: one model, one target, RWKU's forget and neighbor probes."""

from __future__ import annotations

from rulepipe.data.target import Target
from rulepipe.evaluation.rwku_probes import evaluate_target
from rulepipe.generation import from_config
from rulepipe.io import write_json


def evaluate(model_dir: str, target_path: str, out_path: str, params: dict, method: str, seed: int = 0) -> dict:
    gen, ev = params["generation"], params["evaluation"]
    target = Target.load(target_path)
    generator = from_config(model_dir, gen, seed)
    print(
        f"[evaluate] {method} on {target.target_id} with {generator.name}: "
        f"{len(target.forget_probes)} forget + {len(target.neighbor_probes)} neighbor probes",
        flush=True,
    )
    # ICU (in-context unlearning) is the original model asked with RWKU's unlearning instruction.
    unlearn_target = target.name if method == "icu" else None
    record = evaluate_target(generator, target, unlearn_target, max_new_tokens=ev["max_new_tokens"])
    generator.close()
    record["method"] = method
    record["model_dir"] = model_dir
    write_json(out_path, record)

    def shown(side: dict, keys: tuple[str, ...]) -> str:  # a benchmark may lack a level (MUSE: QA only)
        names = {"fb": "FB", "qa": "QA", "aa": "AA", "all": "All"}
        return " ".join(f"{names[k]} {'-' if side.get(k) is None else f'{side[k]:.3f}'}" for k in keys)

    forget, neighbor = (
        shown(record["forget"], ("fb", "qa", "aa", "all")),
        shown(record["neighbor"], ("fb", "qa", "all")),
    )
    print(f"[evaluate] forget {forget} | neighbor {neighbor}", flush=True)
    return record
