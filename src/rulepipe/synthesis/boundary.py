"""Synthesize the boundary set D~_r for each budgeted forget query with an instruct model.

For a forget question about the target the synthesizer writes (1) a fill-in-the-blank
rewrite (forget side: to be refused) and (2) a question about a neighbour entity with its
answer (to be answered), and the item gets (3) that neighbour's cloze. Neighbours are never
entities the retain probes score:
- fictional world: the same relation asked about another person of the world, checked
  against the world's facts, with a template from those facts as fallback;
- RWKU (no fact table): a comparable entity (`synthesis.neighbors`) and a passage about it;
  the model writes a question that the passage answers, the answer must be a span of the
  passage, and a template from the passage is the fallback. The neighbour cloze is the
  passage with that answer blanked.
Every item passes `filters`. Rates are reported, never hidden, and each item records where
it came from.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field

from rulepipe.generation import Generator, SamplingConfig
from rulepipe.prompts import encode_prompt, render, stop_token_ids
from rulepipe.synthesis import filters
from rulepipe.synthesis.passages import passage_neighbors, sampled
from rulepipe.synthesis.prompts import CHUNK, CLOZE_PROMPT, EXAMPLES, NEIGHBOR_PROMPT, PROMPT_VERSION


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
    boundary: list[dict] = field(default_factory=list)  # RWKU: passage rows {prompt, format, answer, entity, source}


def _ask(
    generator: Generator, texts: list[str], sampling: SamplingConfig, what: str, one_line: bool = False
) -> list[list[str]]:
    """`sampling.n` replies per prompt, in chunks with a progress line each; `one_line` stops at
    the first newline too (a cloze is one sentence: what follows it was never read, only paid for)."""
    tok = generator.tokenizer
    prompts = [encode_prompt(tok, render(tok, text)) for text in texts]
    stops = stop_token_ids(tok, newlines=one_line)
    replies: list[list[str]] = []
    started = time.time()
    for start in range(0, len(prompts), CHUNK):
        chunk = SamplingConfig(**{**asdict(sampling), "seed": sampling.seed + start})
        replies += [
            [c.text.strip() for c in outs] for outs in generator.generate(prompts[start : start + CHUNK], chunk, stops)
        ]
        rate = len(replies) / max(time.time() - started, 1e-9)
        eta = (len(prompts) - len(replies)) / max(rate, 1e-9)
        print(f"[synthesis] {what} {len(replies)}/{len(prompts)} ({rate:.2f}/s, eta {eta / 60:.1f} min)", flush=True)
    return replies


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
    grounding: list[GroundedFact | None] | None,
    settings: dict,
    seed: int,
    passages: list | None = None,
) -> tuple[list[BoundaryItem], dict]:
    """One BoundaryItem per forget query, and the acceptance / fallback report. `grounding`
    (fictional world) or `passages` (RWKU: `Neighbor` passage units, `neighbors.per_query` of
    them per query) ground the neighbour side; `neighbors` is only the rotation of names where
    neither does. `settings`: the config's `rule.synthesis` (sample counts and sampling)."""
    grounding = grounding or [None] * len(queries)
    samples, per_query = settings["samples"], settings["neighbors"]["per_query"]
    sampling = sampled(settings, settings["max_new_tokens"], seed)

    def ask(texts, sampling, what, one_line=False):
        return _ask(generator, texts, sampling, what, one_line)

    cloze_out = ask([CLOZE_PROMPT.format(question=q) for q in queries], sampling, "clozes", True)
    items, accepted = [], []
    counts = {"cloze": [0, 0, 0], "neighbor": [0, 0, 0], "neighbor_cloze": [0, 0, 0]}  # llm, template, dropped
    for query, ground, clozes in zip(queries, grounding, cloze_out):
        item = BoundaryItem(query, cloze={}, neighbor=None, neighbor_cloze=None)
        cloze = _first_valid(clozes, lambda c: filters.valid_cloze(c, target_name, EXAMPLES), accepted, item.rejections)
        if cloze:
            item.cloze = {"text": cloze, "source": "llm"}
        elif ground:
            item.cloze = {"text": ground.cloze_template.format(name=target_name), "source": "template"}
        counts["cloze"][0 if cloze else 1 if ground else 2] += 1
        if item.cloze:
            accepted.append(item.cloze["text"])
        items.append(item)
    if passages:
        units = [passages[(i * per_query + j) % len(passages)] for i in range(len(queries)) for j in range(per_query)]
        rows, unit_counts = passage_neighbors(
            ask, target_name, units, settings, seed, accepted, lambda k: items[k // per_query].rejections
        )
        for i, item in enumerate(items):
            item.boundary = [row for k in range(i * per_query, (i + 1) * per_query) for row in rows[k]]
        counts |= unit_counts
    else:
        fact_neighbors(ask, items, target_name, neighbors, grounding, sampling, accepted, counts)
    report = {
        "prompt_version": PROMPT_VERSION,
        "queries": len(queries),
        "samples_per_query": samples,
        **{
            f"{kind}_{label}_rate": round(values[i] / max(sum(values), 1), 3)
            for kind, values in counts.items()
            for i, label in enumerate(("accepted", "fallback", "dropped"))
        },
    }
    return items, report


def fact_neighbors(ask, items, target_name, neighbors, grounding, sampling, accepted, counts) -> None:
    """The fictional world's neighbour side: the same question about a neighbour, its answer
    checked against the world's facts, the facts' template where it fails; and the fact's cloze."""
    chosen = [
        g.neighbor if g else (neighbors[i % len(neighbors)] if neighbors else "") for i, g in enumerate(grounding)
    ]
    prompts = [
        NEIGHBOR_PROMPT.format(question=item.forget_query, neighbor=n or "someone else")
        for item, n in zip(items, chosen)
    ]
    for item, neighbor, ground, replies in zip(items, chosen, grounding, ask(prompts, sampling, "neighbours")):
        pair = neighbor and _first_valid_pair(replies, target_name, neighbor, ground, accepted, item.rejections)
        if pair:
            item.neighbor = {"entity": neighbor, "question": pair[0], "answer": pair[1], "source": "llm"}
        elif ground:
            question = ground.question_template.format(name=neighbor)
            item.neighbor = {"entity": neighbor, "question": question, "answer": ground.answer, "source": "template"}
        counts["neighbor"][0 if pair else 1 if ground else 2] += 1
        if item.neighbor and ground:  # a grounded neighbor cloze; the LLM's rewrites are rarely checkable
            item.neighbor_cloze = {
                "text": ground.cloze_template.format(name=neighbor),
                "answer": ground.answer,
                "source": "template",
            }
        counts["neighbor_cloze"][1 if item.neighbor_cloze else 2] += 1
        if item.neighbor:
            accepted.append(item.neighbor["question"])


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
        reason = filters.valid_neighbor(question, answer, target, neighbor, EXAMPLES)
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
