"""Synthesize the boundary set D~_r for each budgeted forget query with an instruct model.

For a forget question about the target the synthesizer writes (1) a fill-in-the-blank
rewrite (forget side: to be refused), (2) the same question about a neighbor entity with its
answer (to be answered), (3) the neighbor question's cloze. Every item passes `filters`;
where the model's output fails, a template grounded in known facts replaces it (fictional
world), or the item is dropped (RWKU, which has no fact table). Rates are reported, never
hidden, and each item records where it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rulepipe.generation import Generator, SamplingConfig
from rulepipe.prompts import encode_prompt, render
from rulepipe.synthesis import filters

PROMPT_VERSION = "boundary-v2"
CLOZE_PROMPT = (
    "Rewrite the question as one fill-in-the-blank sentence. Put ___ where the answer goes and keep every name.\n"
    "Example:\nQuestion: Which city was Marie Curie born in?\nSentence: Marie Curie was born in the city of ___.\n"
    "Now you:\nQuestion: {question}\nSentence:"
)
NEIGHBOR_PROMPT = (
    "Ask the same question about another person, then answer it briefly.\n"
    "Example:\nOriginal: Which city was Marie Curie born in?\nPerson: Albert Einstein\n"
    "Question: Which city was Albert Einstein born in?\nAnswer: Ulm\n"
    "Now you:\nOriginal: {question}\nPerson: {neighbor}\nQuestion:"
)


@dataclass
class GroundedFact:
    """What the fictional world knows about one forget question: its relation's templates and
    the neighbor's true value, used to check answers and to build fallbacks."""

    neighbor: str
    answer: str
    cloze_template: str  # with {name}
    question_template: str  # with {name}


@dataclass
class BoundaryItem:
    forget_query: str
    cloze: dict
    neighbor: dict | None
    neighbor_cloze: dict | None
    rejections: list[str] = field(default_factory=list)


def _ask(generator: Generator, texts: list[str], sampling: SamplingConfig) -> list[list[str]]:
    tok = generator.tokenizer
    prompts = [encode_prompt(tok, render(tok, text)) for text in texts]
    stops = [tok.eos_token_id]
    return [[c.text.strip() for c in outs] for outs in generator.generate(prompts, sampling, stops)]


def parse_neighbor(text: str) -> tuple[str, str]:
    """(question, answer) from a reply; the prompt already opened `Question:`."""
    if not text.lstrip().startswith("Question:"):
        text = "Question: " + text.lstrip()
    question = re.search(r"Question:\s*(.+)", text)
    answer = re.search(r"Answer:\s*(.+)", text)
    return (question.group(1).strip() if question else "", answer.group(1).strip() if answer else "")


def synthesize(
    generator: Generator,
    target_name: str,
    queries: list[str],
    neighbors: list[str],
    grounding: list[GroundedFact | None] | None = None,
    samples: int = 3,
    seed: int = 0,
) -> tuple[list[BoundaryItem], dict]:
    """One BoundaryItem per forget query, and the acceptance / fallback report."""
    grounding = grounding or [None] * len(queries)
    sampling = SamplingConfig(n=samples, temperature=0.7, top_p=0.95, max_tokens=64, seed=seed)
    chosen = [g.neighbor if g else neighbors[i % len(neighbors)] for i, g in enumerate(grounding)]
    cloze_out = _ask(generator, [CLOZE_PROMPT.format(question=q) for q in queries], sampling)
    neighbor_out = _ask(
        generator,
        [NEIGHBOR_PROMPT.format(question=q, neighbor=n) for q, n in zip(queries, chosen)],
        sampling,
    )
    items, accepted_texts = [], []
    counts = {"cloze": [0, 0, 0], "neighbor": [0, 0, 0], "neighbor_cloze": [0, 0, 0]}  # llm, template, dropped
    for query, neighbor, ground, clozes, replies in zip(queries, chosen, grounding, cloze_out, neighbor_out):
        item = BoundaryItem(query, cloze={}, neighbor=None, neighbor_cloze=None)
        cloze = _first_valid(clozes, lambda c: filters.valid_cloze(c, target_name), accepted_texts, item.rejections)
        if cloze:
            item.cloze = {"text": cloze, "source": "llm"}
            counts["cloze"][0] += 1
        elif ground:
            item.cloze = {"text": ground.cloze_template.format(name=target_name), "source": "template"}
            counts["cloze"][1] += 1
        else:
            counts["cloze"][2] += 1
        pair = _first_valid_pair(replies, target_name, neighbor, ground, accepted_texts, item.rejections)
        if pair:
            item.neighbor = {"entity": neighbor, "question": pair[0], "answer": pair[1], "source": "llm"}
            counts["neighbor"][0] += 1
        elif ground:
            question = ground.question_template.format(name=neighbor)
            item.neighbor = {"entity": neighbor, "question": question, "answer": ground.answer, "source": "template"}
            counts["neighbor"][1] += 1
        else:
            counts["neighbor"][2] += 1
        if item.neighbor and ground:  # a grounded neighbor cloze; the LLM's rewrites are rarely checkable
            item.neighbor_cloze = {
                "text": ground.cloze_template.format(name=neighbor),
                "answer": ground.answer,
                "source": "template",
            }
            counts["neighbor_cloze"][1] += 1
        else:
            counts["neighbor_cloze"][2] += 1
        for part in (item.cloze, item.neighbor):
            if part:
                accepted_texts.append(part.get("text") or part.get("question"))
        items.append(item)
    n = max(len(queries), 1)
    report = {
        "prompt_version": PROMPT_VERSION,
        "queries": len(queries),
        "samples_per_query": samples,
        **{
            f"{kind}_{label}_rate": round(values[i] / n, 3)
            for kind, values in counts.items()
            for i, label in enumerate(("accepted", "fallback", "dropped"))
        },
    }
    return items, report


def _first_valid(candidates, check, accepted, rejections) -> str | None:
    for text in candidates:
        text = text.split("\n")[0].strip()
        reason = check(text) or ("near-duplicate" if filters.near_duplicate(text, accepted) else None)
        if reason is None:
            return text
        rejections.append(f"{reason}: {text[:80]!r}")
    return None


def _first_valid_pair(replies, target, neighbor, ground, accepted, rejections) -> tuple[str, str] | None:
    answers = [parse_neighbor(r) for r in replies]
    for question, answer in answers:
        reason = filters.valid_neighbor(question, answer, target, neighbor)
        if reason is None and filters.near_duplicate(question, accepted):
            reason = "near-duplicate"
        if reason is None:
            if ground is not None:
                ok = filters.answers_agree(answer, ground.answer)
            else:  # no fact table: the samples must agree with each other
                ok = sum(filters.answers_agree(answer, other) for _, other in answers if other) >= 2
            reason = None if ok else "neighbor: answer not confirmed"
        if reason is None:
            return question, answer
        rejections.append(f"{reason}: {question[:60]!r} -> {answer[:30]!r}")
    return None
