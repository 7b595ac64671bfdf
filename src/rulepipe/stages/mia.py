"""The MIA stage: LOSS / zlib / Min-K% / Min-K%++ on a target's forget and retain member texts."""

from __future__ import annotations

from rulepipe.data.target import Target
from rulepipe.evaluation.likelihood import Scorer
from rulepipe.evaluation.mia import mia_record, text_scores
from rulepipe.io import write_json
from rulepipe.prompts import ICU_INSTRUCTION


def score_texts(scorer: Scorer, texts: list[str], k: float, max_tokens: int) -> list[dict[str, float]]:
    """Scores per text on its first `max_tokens` tokens (texts of one token have nothing to score)."""
    kept, ids = [], []
    for text in texts:
        encoded = scorer.tokenizer(text).input_ids
        if len(encoded) > max_tokens:  # zlib then sees the scored part only
            encoded = encoded[:max_tokens]
            text = scorer.tokenizer.decode(encoded, skip_special_tokens=True)
        if len(encoded) >= 2:
            kept.append(text)
            ids.append(encoded)
    return [text_scores(stats, text, k) for stats, text in zip(scorer.token_stats(ids), kept)]


def mia(model_dir: str, target_path: str, out_path: str, params: dict, method: str) -> dict:
    settings = params  # the config's `mia` section
    target = Target.load(target_path)
    scorer = Scorer(model_dir, settings["batch_size"], settings["max_tokens"])
    forget, retain = target.mia_member, target.mia_nonmember
    if method == "icu":  # RWKU scores the instruction and the text together for ICU
        prefix = ICU_INSTRUCTION.format(target.name)
        forget, retain = [prefix + t for t in forget], [prefix + t for t in retain]
    k, limit = settings["k"], settings["max_tokens"]
    record = mia_record(score_texts(scorer, forget, k, limit), score_texts(scorer, retain, k, limit))
    record |= {"method": method, "model_dir": model_dir, "k": k}
    write_json(out_path, record)
    shown = {key: record[key] for key in ("forget_loss", "retain_loss", "auc_loss")}
    print(f"[mia] {method} on {target.target_id}: {record['count']} texts, {shown}", flush=True)
    return record
