"""Membership-inference scores per text (LOSS, zlib, Min-K%, Min-K%++) and their AUCs.

Definitions follow RWKU's `eval_mia.py` (and Min-K%++ from Zhang et al. 2024), with one sign
convention throughout: every score here is loss-like, higher = looks less like training data.
RWKU's code stores the negatives (log-likelihoods) and its tables print them negated, so
`loss` here is the number in its tables. A too-short text keeps at least one token for Min-K.
"""

from __future__ import annotations

import math
import zlib
from statistics import mean

from sklearn.metrics import roc_auc_score

from rulepipe.evaluation.likelihood import Scorer, TokenStats

SCORES = ("loss", "zlib", "mink", "mink_pp")


def _lowest_mean(values: list[float], ratio: float) -> float:
    k = max(1, int(len(values) * ratio))
    return mean(sorted(values)[:k])


def text_scores(stats: TokenStats, text: str, k: float = 0.2) -> dict[str, float]:
    """The four scores of one text from its token statistics; `k` is Min-K%'s fraction."""
    loss = -mean(stats.logprobs)
    z = [(lp - mu) / math.sqrt(var) if var > 0 else 0.0 for lp, mu, var in zip(stats.logprobs, stats.mu, stats.var)]
    return {
        "loss": loss,
        "zlib": loss / len(zlib.compress(text.encode("utf-8"))),
        "mink": -_lowest_mean(stats.logprobs, k),
        "mink_pp": -_lowest_mean(z, k),
    }


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


def auc(positive: list[float], negative: list[float]) -> float:
    """P(score of a positive > score of a negative), ties counting half (ROC AUC)."""
    labels = [1] * len(positive) + [0] * len(negative)
    return float(roc_auc_score(labels, list(positive) + list(negative)))


def mia_record(forget: list[dict[str, float]], retain: list[dict[str, float]]) -> dict:
    """Per-set means (what RWKU reports) and, for each score, the AUC of telling forget texts
    (positive) from retain texts: 0.5 = indistinguishable; higher = the forget texts now look
    less like training data than the retain texts do."""
    record: dict = {"count": {"forget": len(forget), "retain": len(retain)}}
    for name in SCORES:
        record[f"forget_{name}"] = mean(s[name] for s in forget) if forget else None
        record[f"retain_{name}"] = mean(s[name] for s in retain) if retain else None
        both = forget and retain
        record[f"auc_{name}"] = auc([s[name] for s in forget], [s[name] for s in retain]) if both else None
    return record
