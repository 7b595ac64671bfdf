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
    asked = [(i, g) for i, g in enumerate(grounding) if g is not None]
    with open_writer() as writer:
        replies = ask(
            writer,
            [NEIGHBOR_PROMPT.format(question=queries[i], neighbor=g.neighbor) for i, g in asked],
            sampled(settings, settings["max_new_tokens"], seed),
            "neighbour questions",
            ["Question:"] * len(asked),
        )
    candidates = []  # (item index, question)
    for (i, g), texts in zip(asked, replies):
        for question in dict.fromkeys(text.strip() for text in texts):
            reason = filters.valid_neighbor(question, "-", target, g.neighbor, EXAMPLES)
            if reason is None and not same_relation(question, g.neighbor, queries[i], target):
                reason = "neighbor: asks about something else than the forget question"
            if reason is None:
                candidates.append((i, question))
            else:
                items[i].rejections.append(f"{reason}: {question[:60]!r}")
    said = [(i, queries[i], target) for i, _ in asked] + [(i, q, grounding[i].neighbor) for i, q in candidates]
    with open_facts() as knower:
        texts = [STATEMENT_PROMPT.format(question=question) for _, question, _ in said]
        sampling = sampled(settings, settings["answer_max_new_tokens"], seed)
        told = ask(knower, texts, sampling, "facts stated", [name for _, _, name in said])
        greedy = SamplingConfig(n=1, max_tokens=settings["answer_max_new_tokens"], seed=seed)
        texts = [QA_TEMPLATE.format(question) for _, question in candidates]
        answers = ask(knower, texts, greedy, "neighbour answers", [ANSWER_PREFIX] * len(candidates))
    statements = [[joined(name, text) for text in texts] for (_, _, name), texts in zip(said, told)]
    own = dict(zip((i for i, _ in asked), statements))
    stated: dict[int, list[tuple[str, list[str], str]]] = {}
    for (i, question), sentences, answer in zip(candidates, statements[len(asked) :], answers):
        stated.setdefault(i, []).append((question, sentences, answer[0]))
    counts = {"cloze": [0, 0, 0], "neighbor": [0, 0, 0], "neighbor_cloze": [0, 0, 0]}
    accepted: list[str] = []
    for i, item in enumerate(items):
        if grounding[i] is None:
            for kind in counts:
                counts[kind][2] += 1
            continue
        checked(item, grounding[i], target, own[i], stated.get(i, []), accepted, counts)
    return items, counts


def joined(name: str, reply: str) -> str:
    """The statement: the person's name (the reply's opening) and the reply."""
    return name + ("" if reply[:1] in "'’,.;:" else " ") + reply


def same_relation(question: str, neighbor: str, query: str, target: str) -> bool:
    """The candidate shares a content word (4-letter stem) with the forget question, names and
    question words aside: "Who married B?" for "Who did A marry?", not "Which person has a pet
    named B?" for "Which animal lives with A?", which the fact model would answer with B's pet
    all the same."""

    def cues(text: str, name: str) -> set[str]:
        return {stem[:4] for stem in content_words(text, [name]) - ASKING}

    return bool(cues(question, neighbor) & cues(query, target))


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
