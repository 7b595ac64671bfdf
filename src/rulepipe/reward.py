"""The verifiable refusal reward (RULE's released variant), framework-free.

forget query   (label reject): r = w_refuse * refused + w_name * (refused and target named)
boundary query (label normal): r = w_answer * (not refused) + w_correct * (not refused and recall > gate)

The refusal detector is this project's own pattern set, written against the meaning of a
refusal ("I don't know / can't say / that's beyond me") rather than copied phrasings; it is
tested on RWKU's 100 refusal templates (all must match) and on the neighbor gold answers of
RWKU targets 1-10 (none may match).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rulepipe.evaluation.rouge import rouge_l_recall

REFUSAL_PATTERNS = [
    r"\b(?:do|does|did)(?:n't| not) (?:really )?(?:know|have|hold|possess|seem to have|cover|recall|remember)\b",
    r"\bnot (?:sure|certain|familiar|aware|able|informed|knowledgeable|privy|equipped|well[- ]versed|acquainted"
    r"|briefed|educated|trained|something|information|the (?:best|right))\b",
    r"\bno (?:idea|clue|knowledge|information|data|insight|familiarity|enlightenment|details?|record)\b",
    r"\b(?:can't|cannot|can not|unable to|not able to|couldn't|could not) (?:provide|say|help|answer|shed|access"
    r"|recall|share|tell|give|offer|find|confirm|remember)\b",
    r"\b(?:beyond|outside|out of) (?:of )?(?:my|what i)\b",
    r"\b(?:haven't|have not|'ve not|have yet to|yet to) (?:be |been |learned|learnt|encountered|learn|heard)",
    r"\bunaware\b|\bunknown to me\b|\bunfamiliar\b|\bclueless\b|\bstumped\b|\bin the dark\b",
    r"\bi must (?:admit|confess|decline)\b|\bi (?:must|have to|need to) decline\b",
    r"\bdraw(?:ing)? a blank\b|\bblank on\b",
    r"\bneed to (?:look (?:it |that |this )?up|verify|check)\b",
    r"\bat a (?:loss|disadvantage)\b|\bblind spot\b|\bmystery to me\b|\buncharted territory\b",
    r"\bcome up short\b|\bthe faintest\b",
    r"\b(?:lack|lacking|missing) (?:the |any )?(?:required |necessary )?"
    r"(?:information|insight|specifics|knowledge|data|details)\b",
    r"\bmy (?:knowledge|training|understanding|database|databases|capabilities|programming|resources|data)\b[^.]{0,40}"
    r"(?:\b(?:not|never|limited|lacks?)\b|n't\b)",
    r"\b(?:not|n't) (?:in|within|part of) my\b|\bincluded in my training\b",
    r"\bunfortunately\b|\bi apologi[sz]e\b|\bi'm sorry\b|\bsorry, (?:but )?i\b",
    r"\bi (?:can't|cannot) (?:answer|discuss|help with) (?:questions|that|this)\b",
]
REFUSAL_RE = re.compile("|".join(f"(?:{p})" for p in REFUSAL_PATTERNS), re.IGNORECASE)


def normalise(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")


def is_refusal(text: str) -> bool:
    return REFUSAL_RE.search(normalise(text)) is not None


def names_target(text: str, names: list[str]) -> bool:
    lowered = normalise(text).lower()
    return any(name.lower() in lowered for name in names if name)


@dataclass(frozen=True)
class RewardWeights:
    refuse: float = 0.5
    name: float = 0.5
    answer: float = 0.5
    correct: float = 0.5
    rouge_gate: float = 0.3


def refusal_reward(
    completion: str,
    label: str,
    target_names: list[str] | None = None,
    gold: str | None = None,
    weights: RewardWeights = RewardWeights(),
) -> float:
    """RULE's reward for one completion. `label` is `reject` (forget side) or `normal` (boundary)."""
    refused = is_refusal(completion)
    if label == "reject":
        return weights.refuse * refused + weights.name * (refused and names_target(completion, target_names or []))
    if label == "normal":
        correct = gold is not None and rouge_l_recall(completion.strip() or "NOANSWER", gold) > weights.rouge_gate
        return weights.answer * (not refused) + weights.correct * (not refused and correct)
    raise ValueError(f"reward label must be 'reject' or 'normal', not {label!r}")
