"""RWKU's boundary side: questions and clozes about comparable neighbours, grounded in passages.

RWKU has no fact table, and a 135M synthesizer cannot be trusted to recall facts about other
people. So every boundary item comes from a passage about the neighbour (a sentence of their
intro or of a biography, `neighbors.comparable`), and its answer must be a span of it:
1. the synthesizer writes a question about the neighbour from the passage (one line);
2. it answers that question from the passage (greedy, one line); the pair is kept only when
   the question passes the filters and the answer is a short span of the passage;
3. otherwise a template from the passage's shape ("X was a ...", "born on <date>", "born in
   <place>") stands in;
4. the neighbour cloze is the passage with the answer blanked (else a year or a proper name).
Each forget query takes `per_query` passages, so short passages still fill the D_r share.
"""

from __future__ import annotations

import re

from rulepipe.generation import SamplingConfig
from rulepipe.synthesis import filters
from rulepipe.synthesis.prompts import ANSWER_PROMPT, EXAMPLES, QUESTION_PROMPT

MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
TEMPLATES = (  # (pattern over the passage, question with {name} and {verb})
    (
        re.compile(
            r"^(?P<who>.+?)\s+(?P<verb>is|was)\s+(?P<answer>(?:an?|the)\s+[^,.;()]+?)"
            r"(?:,|\.|;| who | whose | known | best |$)"
        ),
        "Who {verb} {name}?",
    ),
    (re.compile(rf"born (?:on )?(?P<answer>{MONTH} \d{{1,2}}, \d{{4}})"), "When was {name} born?"),
    (
        re.compile(r"born (?:on [^,]+, \d{4},? )?in (?P<answer>[A-Z][\w.'-]*(?:,? [A-Z][\w.'-]*)*)"),
        "Where was {name} born?",
    ),
    (re.compile(r"(?:best |widely )?known (?:for|as) (?P<answer>[^,.;()]{3,60})"), "What is {name} known for?"),
)
YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
PROPER = re.compile(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,3}\b")


def templates(name: str, passage: str) -> list[tuple[str, str]]:
    """(question, answer) pairs the passage's shape gives, each answer a span of it."""
    pairs = []
    for pattern, question in TEMPLATES:
        match = pattern.search(passage)
        if match is None or ("who" in match.groupdict() and not filters.mentions(match.group("who"), name.split()[-1])):
            continue
        verb = match.groupdict().get("verb") or "is"
        pairs.append((question.format(name=name, verb=verb), match.group("answer").strip().rstrip(".")))
    return pairs


def blank(passage: str, answer: str) -> str | None:
    """The passage with its first occurrence of `answer` blanked (case-insensitive)."""
    found = re.search(re.escape(answer.strip()), passage, re.IGNORECASE)
    if not found or not answer.strip():
        return None
    return (passage[: found.start()] + "___" + passage[found.end() :]).strip()


def template_cloze(passage: str, name: str) -> tuple[str, str] | None:
    """(cloze, answer) from the passage's shape: a year blanked, else a proper name that is not
    the person's own and does not open the sentence (e.g. "Hong Kong"); None where none is."""
    year = YEAR.search(passage)
    if year:
        return blank(passage, year.group(0)), year.group(0)
    own = set(name.lower().split())
    for match in PROPER.finditer(passage):
        span = match.group(0)
        if match.start() > 0 and not own & set(span.lower().split()):
            return blank(passage, span), span
    return None


def sampled(settings: dict, max_tokens: int, seed: int) -> SamplingConfig:
    """The synthesizer's sampling (`rule.synthesis`): `samples` candidates per prompt."""
    return SamplingConfig(
        n=settings["samples"],
        temperature=settings["temperature"],
        top_p=settings["top_p"],
        max_tokens=max_tokens,
        seed=seed,
    )


def passage_neighbors(ask, target: str, units: list, settings: dict, seed: int, accepted: list[str], rejections):
    """For each passage unit (`Neighbor`): a question and a cloze row with provenance, in
    `units` order, and the counts {kind: [llm, template, dropped]}. `ask(texts, sampling,
    what)` is the synthesizer (one-line replies); `rejections(i)` the list unit i's reasons go to;
    `settings`: the config's `rule.synthesis`."""
    sampling = sampled(settings, settings["question_max_new_tokens"], seed)
    questions = ask(
        [QUESTION_PROMPT.format(name=u.name, passage=u.passage) for u in units], sampling, "neighbour questions"
    )
    candidates = [  # (unit index, question)
        (i, question)
        for i, (unit, asked) in enumerate(zip(units, questions))
        for question in filters.neighbor_questions(asked, target, unit.name, rejections(i), EXAMPLES)
    ]
    greedy = SamplingConfig(n=1, max_tokens=settings["answer_max_new_tokens"], seed=seed)
    answers = ask(
        [ANSWER_PROMPT.format(passage=units[i].passage, question=q) for i, q in candidates],
        greedy,
        "neighbour answers",
    )
    replies: dict[int, list[tuple[str, str]]] = {}
    for (i, question), answer in zip(candidates, answers):
        replies.setdefault(i, []).append((question, answer[0].strip().rstrip(".")))
    rows, counts = [], {"neighbor": [0, 0, 0], "neighbor_cloze": [0, 0, 0]}
    for i, unit in enumerate(units):
        rows.append(unit_rows(unit, replies.get(i, []), target, accepted, counts, rejections(i)))
    return rows, counts


def unit_rows(unit, replies, target: str, accepted: list[str], counts, rejections) -> list[dict]:
    """One passage's question (the synthesizer's, else a template) and cloze."""
    pair, source = None, "llm"
    for question, answer in replies:
        reason = filters.grounded_answer(answer, question, unit.passage)
        if reason is None and filters.near_duplicate(question, accepted):
            reason = "near-duplicate"
        if reason is None:
            pair = (question, answer)
            break
        rejections.append(f"{reason}: {question[:60]!r} -> {answer[:30]!r}")
    if pair is None:
        source = "template"
        pair = next(
            (p for p in templates(unit.name, unit.passage) if not filters.near_duplicate(p[0], accepted, 0.99)), None
        )
    rows = []
    counts["neighbor"][{"llm": 0, "template": 1}[source] if pair else 2] += 1
    if pair:
        rows.append({"prompt": pair[0], "format": "qa", "answer": pair[1], "entity": unit.name, "source": source})
        accepted.append(pair[0])
    cloze = (blank(unit.passage, pair[1]), pair[1]) if pair else None
    if (
        not cloze
        or not cloze[0]
        or filters.valid_boundary_prompt(cloze[0], target)
        or not filters.mentions(cloze[0], unit.name)
    ):
        cloze = template_cloze(unit.passage, unit.name)
    ok = cloze and cloze[0] and filters.valid_boundary_prompt(cloze[0], target) is None
    ok = ok and filters.mentions(cloze[0], unit.name) and not filters.near_duplicate(cloze[0], accepted, 0.99)
    counts["neighbor_cloze"][1 if ok else 2] += 1
    if ok:
        rows.append({"prompt": cloze[0], "format": "fb", "answer": cloze[1], "entity": unit.name, "source": "passage"})
        accepted.append(cloze[0])
    return rows
