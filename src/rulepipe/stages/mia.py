"""The MIA stage: LOSS / zlib / Min-K% / Min-K%++ on a target's forget and retain member texts."""

from __future__ import annotations

from rulepipe.data.target import Target
from rulepipe.evaluation.likelihood import Scorer
from rulepipe.evaluation.mia import mia_record, score_texts
from rulepipe.io import write_json
from rulepipe.methods import prompts_target
from rulepipe.prompts import ICU_INSTRUCTION


def mia(model_dir: str, target_path: str, out_path: str, params: dict, method: str) -> dict:
    settings = params["mia"]
    target = Target.load(target_path)
    scorer = Scorer(model_dir, settings["batch_size"], settings["max_tokens"])
    forget, retain = target.mia_member, target.mia_nonmember
    if prompts_target(method):  # RWKU scores the instruction and the text together for ICU
        prefix = ICU_INSTRUCTION.format(target.name)
        forget, retain = [prefix + t for t in forget], [prefix + t for t in retain]
    k, limit = settings["k"], settings["max_tokens"]
    record = mia_record(score_texts(scorer, forget, k, limit), score_texts(scorer, retain, k, limit))
    record |= {"method": method, "model_dir": model_dir, "k": k}
    write_json(out_path, record)
    shown = {key: record[key] for key in ("forget_loss", "retain_loss", "auc_loss")}
    print(f"[mia] {method} on {target.target_id}: {record['count']} texts, {shown}", flush=True)
    return record


def run(inputs: dict, outputs: dict, params: dict, seed: int) -> None:
    mia(inputs["model"], inputs["target"], outputs["mia"], params, params["method"])
