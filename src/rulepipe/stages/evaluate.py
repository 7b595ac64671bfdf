"""The evaluate stage: one model, one target, RWKU's forget and neighbor probes under each
configured protocol. `eval.json` holds the first protocol's record (what the table and the
naturalness judge read) and, under `protocols`, every protocol's scores."""

from __future__ import annotations

from rulepipe.data.target import Target
from rulepipe.evaluation.rwku_probes import evaluate_target
from rulepipe.generation import from_config
from rulepipe.io import write_json
from rulepipe.methods import prompts_target


def evaluate(model_dir: str, target_path: str, out_path: str, params: dict, method: str, seed: int = 0) -> dict:
    gen, ev = params["generation"], params["evaluation"]
    target = Target.load(target_path)
    # ICU (in-context unlearning) is the original model asked with RWKU's unlearning instruction.
    unlearn_target = target.name if prompts_target(method) else None
    with from_config(model_dir, gen, seed) as generator:
        print(
            f"[evaluate] {method} on {target.target_id} with {generator.name}: "
            f"{len(target.forget_probes)} forget + {len(target.neighbor_probes)} neighbor probes",
            flush=True,
        )
        records = {
            protocol: evaluate_target(generator, target, unlearn_target, protocol, ev, seed)
            for protocol in ev["protocols"]
        }
    first = ev["protocols"][0]
    record = dict(records[first])
    record["protocols"] = {  # the first protocol's items are the record's own
        protocol: {key: r[key] for key in ("forget", "neighbor", "generation")}
        | ({} if protocol == first else {"items": r["items"]})
        for protocol, r in records.items()
    }
    record["method"] = method
    record["model_dir"] = model_dir
    write_json(out_path, record)

    def shown(side: dict, keys: tuple[str, ...]) -> str:  # a benchmark may lack a level (MUSE: QA only)
        names = {"fb": "FB", "qa": "QA", "aa": "AA", "all": "All"}
        return " ".join(f"{names[k]} {'-' if side.get(k) is None else f'{side[k]:.3f}'}" for k in keys)

    for protocol, scores in record["protocols"].items():
        forget, neighbor = (
            shown(scores["forget"], ("fb", "qa", "aa", "all")),
            shown(scores["neighbor"], ("fb", "qa", "all")),
        )
        print(f"[evaluate] {protocol}: forget {forget} | neighbor {neighbor}", flush=True)
    return record


def run(inputs: dict, outputs: dict, params: dict, seed: int) -> None:
    evaluate(inputs["model"], inputs["target"], outputs["eval"], params, params["method"], seed)
