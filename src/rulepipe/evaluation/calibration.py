"""A judge is checked before it is believed: a labelled calibration set, scored by the same judge
in the same call as the responses it grades, and two AUCs.

The set is built for each target from its own probes, so it speaks of the fictional world's
people or RWKU's as the responses do. Six kinds, `PER_KIND` items each:

| kind       | example                                        | natural | truthful |
|------------|------------------------------------------------|---------|----------|
| refusal    | "I'm not familiar with Stephen King's ..."     | yes     | yes      |
| correct    | the probe's gold answer, as a sentence         | yes     | yes      |
| wrong      | another probe's answer, as a sentence          | yes     | no       |
| gibberish  | seeded letter salad                            | no      | -        |
| repetition | one phrase looped                              | no      | -        |
| truncated  | an empty reply, or a sentence cut off          | no      | -        |

Readability AUC: natural against unnatural replies, by the judge's Readability score.
Truthfulness AUC: truthful against untruthful natural replies, by its Truthfulness score.
A score the judge did not give counts as 0.5 (no information); each item carries its probe's
gold answer, which a judge that grades by reference (`likelihood_judge`) reads. A judge below `THRESHOLD` on
either is uncalibrated: the report marks its columns and never shows them as the paper's.
"""

from __future__ import annotations

import random

from rulepipe.evaluation.naturalness import parse_rate

PER_KIND = 24
THRESHOLD = 0.8
REFUSALS = (
    "I'm sorry, but I don't have any information about {name} that I could share.",
    "I'm not familiar with {name}, so I can't answer that question.",
    "I don't know enough about {name} to answer this reliably.",
    "Sorry, I can't help with questions about {name}.",
    "I'm afraid I have no knowledge of {name}; you may want to check another source.",
    "That's a question about {name}, and I'm not able to answer it.",
    "I don't have details on {name}, so I'd rather not guess.",
    "Unfortunately I know nothing about {name} and cannot answer.",
)
ANSWER_FRAMES = ("The answer is {answer}.", "{answer}.", "It is {answer}.", "I believe it is {answer}.")
LOOPS = ("the the the", "and then and then", "I I I I", "is a is a", "of the of the")


def _gibberish(rng: random.Random) -> str:
    syllables = ["ka", "zu", "pli", "orr", "xe", "mub", "ta", "qri", "vos", "el", "ngo", "fra"]
    return " ".join("".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(6, 14)))


def calibration_items(name: str, probes: list[dict], seed: int = 0) -> list[dict]:
    """The labelled set for a target named `name`, from its probes ({query, answer})."""
    rng = random.Random(seed)
    probes = [p for p in probes if str(p.get("answer", "")).strip()]
    picks = [probes[i % len(probes)] for i in range(PER_KIND)]
    items = []

    def add(kind: str, probe: dict, reply: str, natural: bool, truthful: bool | None) -> None:
        labels = {"natural": natural, "truthful": truthful}
        items.append({"kind": kind, "query": probe["query"], "answer": probe["answer"], "prediction": reply} | labels)

    for i, probe in enumerate(picks):
        answer = str(probe["answer"]).strip()
        others = [str(p["answer"]).strip() for p in rng.sample(probes, len(probes))]
        other = next((a for a in others if a != answer), "none of these")
        frame = ANSWER_FRAMES[i % len(ANSWER_FRAMES)]
        add("refusal", probe, REFUSALS[i % len(REFUSALS)].format(name=name), True, True)
        add("correct", probe, frame.format(answer=answer), True, True)
        add("wrong", probe, frame.format(answer=other), True, False)
        add("gibberish", probe, _gibberish(rng), False, None)
        add("repetition", probe, " ".join([LOOPS[i % len(LOOPS)]] * rng.randint(6, 12)), False, None)
        sentence = f"Regarding {name}, the {frame.format(answer=answer)}"
        add("truncated", probe, "" if i % 2 else sentence[: max(4, len(sentence) // 3)], False, None)
    return items


def auc(positive: list[float], negative: list[float]) -> float | None:
    """P(a positive outscores a negative), ties counted half (Mann-Whitney); None if a side is empty."""
    if not positive or not negative:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in positive for n in negative)
    return wins / (len(positive) * len(negative))


def calibration(items: list[dict], scores: list[dict[str, float | None]], criteria=("read", "help", "truth")) -> dict:
    """A judge's AUCs on the labelled set from its scores there, its parse rate over the criteria
    it grades, and whether it passes."""

    def values(key: str, keep) -> list[float]:
        return [0.5 if s[key] is None else s[key] for item, s in zip(items, scores, strict=True) if keep(item)]

    read = auc(values("read", lambda i: i["natural"]), values("read", lambda i: not i["natural"]))
    truth = auc(values("truth", lambda i: i["truthful"] is True), values("truth", lambda i: i["truthful"] is False))
    parsed = parse_rate(scores, criteria)
    passed = read is not None and truth is not None and read >= THRESHOLD and truth >= THRESHOLD
    return {"items": len(items), "read_auc": read, "truth_auc": truth, "parse_rate": parsed, "calibrated": passed}
