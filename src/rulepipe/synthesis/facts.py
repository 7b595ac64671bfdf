"""Boundary items where the benchmark has a fact table (the fictional world): one model asks,
the model that knows the world states, the facts check.

A 135M instruct model cannot recall the world's facts, and the learned original model no longer
follows instructions (asked to rewrite a question, it answers it). Measured on the default's
target, neither alone wrote one item that passed the filters (boundary-v3: 0 of 14 clozes, 0 of
14 neighbour pairs). So the two jobs go to two models, each doing what it can:
1. the writer (`rule.synthesis.model`, the base model) asks the forget question about a
   neighbour, another person of the world (`samples` candidates, its reply opened with
   `Question:`), and the filters keep the candidates that are questions naming the neighbour;
2. the fact model (`rule.synthesis.fact_model`, the original, which learned the world) states
   the answer to the forget question and to every kept candidate in one sentence opened with
   the person's name (`samples` of them), and answers each candidate in the QA format it
   learned (greedy);
3. the fact table checks what it says: the forget cloze is the target's first statement that
   holds the target's true value, with the value blanked; a neighbour pair is the first
   candidate whose answer or statements hold the neighbour's true value, with that value as its
   answer, and the neighbour cloze is such a statement, blanked;
4. where no statement holds the value, the facts' templates stand in (`source: template`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from rulepipe.generation import SamplingConfig
from rulepipe.prompts import ANSWER_PREFIX, QA_TEMPLATE
from rulepipe.synthesis import filters
from rulepipe.synthesis.boundary import BoundaryItem, ask
from rulepipe.synthesis.neighbors import content_words
from rulepipe.synthesis.passages import blank, sampled
from rulepipe.synthesis.prompts import EXAMPLES, NEIGHBOR_PROMPT, STATEMENT_PROMPT

ASKING = {"what", "which", "when", "where", "how", "whom", "does", "did", "do", "have", "has", "name", "named", "kind"}


@dataclass
class GroundedFact:
    """What the fictional world knows about one forget question: the target's true value, a
    neighbour with theirs, and the relation's templates (with {name}) for fallbacks."""

    value: str
    neighbor: str
    answer: str
    cloze_template: str
    question_template: str


def fact_items(open_writer, open_facts, target: str, queries: list[str], grounding, settings: dict, seed: int):
    """(BoundaryItem per query, counts {kind: [llm, template, dropped]}). `open_writer()` and
    `open_facts()` open the two generators in turn, never both at once; `grounding` holds a
    GroundedFact per query (None: the query matched no fact, and its item stays empty);
    `settings`: the config's `rule.synthesis`."""
    items = [BoundaryItem(query, cloze={}, neighbor=None, neighbor_cloze=None) for query in queries]
    with open_writer() as writer:
        candidates = neighbour_questions(writer, items, grounding, target, settings, seed)
    with open_facts() as knower:
        own, stated = statements(knower, queries, grounding, candidates, target, settings, seed)
    counts = {"cloze": [0, 0, 0], "neighbor": [0, 0, 0], "neighbor_cloze": [0, 0, 0]}
    accepted: list[str] = []
    for i, item in enumerate(items):
        if grounding[i] is None:
            for kind in counts:
                counts[kind][2] += 1
        else:
            checked(item, grounding[i], target, own[i], stated.get(i, []), accepted, counts)
    return items, counts


def neighbour_questions(writer, items, grounding, target: str, settings: dict, seed: int) -> list[tuple[int, str]]:
    """(item index, question): the writer's candidates that ask the forget question about the
    neighbour; the others' reasons go to their item's rejections."""
    asked = [(i, fact) for i, fact in enumerate(grounding) if fact is not None]
    replies = ask(
        writer,
        [NEIGHBOR_PROMPT.format(question=items[i].forget_query, neighbor=fact.neighbor) for i, fact in asked],
        sampled(settings, settings["max_new_tokens"], seed),
        "neighbour questions",
        ["Question:"] * len(asked),
    )
    return [
        (i, question)
        for (i, fact), texts in zip(asked, replies)
        for question in filters.neighbor_questions(
            texts,
            target,
            fact.neighbor,
            items[i].rejections,
            EXAMPLES,
            partial(other_relation, neighbor=fact.neighbor, query=items[i].forget_query, target=target),
        )
    ]


def statements(knower, queries, grounding, candidates, target: str, settings: dict, seed: int):
    """What the fact model says: {item: the target's statements}, and {item: [(candidate,
    its statements, its short answer)]}."""
    said = [(q, target) for q, fact in zip(queries, grounding) if fact] + [
        (q, grounding[i].neighbor) for i, q in candidates
    ]
    texts = [STATEMENT_PROMPT.format(question=question) for question, _ in said]
    sampling = sampled(settings, settings["answer_max_new_tokens"], seed)
    told = ask(knower, texts, sampling, "facts stated", [name for _, name in said])
    told = [[joined(name, text) for text in texts] for (_, name), texts in zip(said, told)]
    greedy = SamplingConfig(n=1, max_tokens=settings["answer_max_new_tokens"], seed=seed)
    texts = [QA_TEMPLATE.format(question) for _, question in candidates]
    answers = ask(knower, texts, greedy, "neighbour answers", [ANSWER_PREFIX] * len(candidates))
    own = dict(zip((i for i, fact in enumerate(grounding) if fact), told))
    stated: dict[int, list[tuple[str, list[str], str]]] = {}
    for (i, question), sentences, answer in zip(candidates, told[len(own) :], answers):
        stated.setdefault(i, []).append((question, sentences, answer[0]))
    return own, stated


def joined(name: str, reply: str) -> str:
    """The statement: the person's name (the reply's opening) and the reply."""
    return name + ("" if reply[:1] in "'’,.;:" else " ") + reply


def other_relation(question: str, neighbor: str, query: str, target: str) -> str | None:
    """A reason when the candidate shares no content word (4-letter stem) with the forget
    question, names and question words aside: "Who married B?" passes for "Who did A marry?",
    "Which person has a pet named B?" does not for "Which animal lives with A?" (the fact model
    would answer it with B's pet all the same)."""

    def cues(text: str, name: str) -> set[str]:
        return {stem[:4] for stem in content_words(text, [name]) - ASKING}

    if cues(question, neighbor) & cues(query, target):
        return None
    return "neighbor: asks about something else than the forget question"


def checked(item, fact: GroundedFact, target: str, own: list[str], stated, accepted: list[str], counts) -> None:
    """One item from its statements: LLM text where the facts confirm it, templates elsewhere."""
    cloze = _cloze(own, fact.value, target, accepted, item.rejections)
    item.cloze = {"text": cloze or fact.cloze_template.format(name=target), "source": "llm" if cloze else "template"}
    accepted.append(item.cloze["text"])
    counts["cloze"][0 if cloze else 1] += 1
    pair = None
    for question, told, answer in stated:
        holding = [statement for statement in told if blank(statement, fact.answer) is not None]
        if filters.near_duplicate(question, accepted):
            item.rejections.append(f"near-duplicate: {question[:60]!r}")
        elif not holding and blank(answer, fact.answer) is None:
            item.rejections.append(f"neighbor: the fact model misses the fact: {answer[:30]!r}, {told[0][:60]!r}")
        else:
            pair = (question, holding)
            break
    question = pair[0] if pair else fact.question_template.format(name=fact.neighbor)
    source = "llm" if pair else "template"
    item.neighbor = {"entity": fact.neighbor, "question": question, "answer": fact.answer, "source": source}
    accepted.append(question)
    counts["neighbor"][0 if pair else 1] += 1
    written = _cloze(pair[1], fact.answer, fact.neighbor, accepted, item.rejections) if pair and pair[1] else None
    text = written or fact.cloze_template.format(name=fact.neighbor)
    item.neighbor_cloze = {"text": text, "answer": fact.answer, "source": "llm" if written else "template"}
    accepted.append(text)
    counts["neighbor_cloze"][0 if written else 1] += 1


def _cloze(statements: list[str], value: str, name: str, accepted: list[str], rejections: list[str]) -> str | None:
    """The first statement with `value` blanked that holds the value and passes the cloze filters."""
    for statement in statements:
        text = blank(statement, value)
        reason = "cloze: the statement misses the fact" if text is None else filters.valid_cloze(text, name, EXAMPLES)
        if reason is None and filters.near_duplicate(text, accepted):
            reason = "near-duplicate"
        if reason is None:
            return text
        rejections.append(f"{reason}: {statement[:80]!r}")
    return None
