"""Checks every synthesized item must pass before it becomes training data."""

from __future__ import annotations

import re

from rulepipe.evaluation.rouge import rouge_l_recall

BLANK = "___"


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def near_duplicate(text: str, accepted: list[str], threshold: float = 0.8) -> bool:
    """Jaccard overlap of word sets above `threshold` with anything already accepted."""
    mine = words(text)
    for other in accepted:
        theirs = words(other)
        if mine and theirs and len(mine & theirs) / len(mine | theirs) > threshold:
            return True
    return False


def mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE) is not None


def valid_cloze(text: str, must_name: str) -> str | None:
    """None if acceptable, else the reason."""
    if text.count(BLANK) != 1:
        return "cloze: not exactly one blank"
    if not mentions(text, must_name):
        return "cloze: does not name the entity"
    return None


def valid_neighbor(question: str, answer: str, target: str, neighbor: str) -> str | None:
    if not question.strip() or not answer.strip():
        return "neighbor: not parseable"
    if mentions(question, target) or mentions(answer, target):
        return "neighbor: names the forget target"
    if not mentions(question, neighbor):
        return "neighbor: does not name the neighbor"
    return None


def answers_agree(answer: str, reference: str, threshold: float = 0.5) -> bool:
    return rouge_l_recall(answer, reference) >= threshold or rouge_l_recall(reference, answer) >= threshold
