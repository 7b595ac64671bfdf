"""Synthesize the boundary set D~_r for each budgeted forget query with an instruct model.

For a forget question about the target an item holds (1) a fill-in-the-blank rewrite (forget
side: to be refused), (2) a question about a neighbour entity with its answer (to be
answered) and (3) that neighbour's cloze. Neighbours are never entities the retain probes
score:
- fictional world (a fact table): the same relation asked about another person of the world,
  stated by the model that learned the world and checked against the facts (`facts`);
- RWKU (no fact table): a comparable entity (`synthesis.neighbors`) and a passage about it;
  the model writes a question that the passage answers, the answer must be a span of the
  passage, and a template from the passage is the fallback. The neighbour cloze is the
  passage with that answer blanked.
Every item passes `filters`. Rates are reported, never hidden, and each item records where
it came from.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from functools import partial

from rulepipe.generation import Generator, SamplingConfig
from rulepipe.prompts import encode_prompt, render, stop_token_ids
from rulepipe.synthesis import filters
from rulepipe.synthesis.passages import passage_neighbors, sampled
from rulepipe.synthesis.prompts import CHUNK, CLOZE_PROMPT, EXAMPLES, PROMPT_VERSION


@dataclass
class BoundaryItem:
    forget_query: str
    cloze: dict
    neighbor: dict | None
    neighbor_cloze: dict | None
    rejections: list[str] = field(default_factory=list)
    boundary: list[dict] = field(default_factory=list)  # RWKU: passage rows {prompt, format, answer, entity, source}


def ask(
    generator: Generator,
    texts: list[str],
    sampling: SamplingConfig,
    what: str,
    prefixes: list[str] | None = None,
) -> list[list[str]]:
    """`sampling.n` one-line replies per prompt (a reply is one sentence or one question: what
    follows it was never read, only paid for), each opened with its `prefixes` entry after the
    assistant header, in chunks with a progress line each."""
    tok = generator.tokenizer
    prefixes = prefixes or [""] * len(texts)
    prompts = [encode_prompt(tok, render(tok, text, prefix)) for text, prefix in zip(texts, prefixes, strict=True)]
    stops = stop_token_ids(tok, newlines=True)
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


def synthesize(
    generator: Generator, target_name: str, queries: list[str], passages: list, settings: dict, seed: int
) -> tuple[list[BoundaryItem], dict]:
    """One BoundaryItem per forget query where the benchmark has no fact table (RWKU), and the
    counts {kind: [llm, template, dropped]}: the synthesizer's cloze rewrite of each query, and
    `neighbors.per_query` passage units (`Neighbor`) per query for the neighbour side.
    `settings`: the config's `rule.synthesis` (sample counts and sampling)."""
    per_query = settings["neighbors"]["per_query"]
    sampling = sampled(settings, settings["max_new_tokens"], seed)

    asked = partial(ask, generator)
    cloze_out = asked([CLOZE_PROMPT.format(question=q) for q in queries], sampling, "clozes")
    items, accepted = [], []
    counts = {"cloze": [0, 0, 0]}
    for query, clozes in zip(queries, cloze_out):
        item = BoundaryItem(query, cloze={}, neighbor=None, neighbor_cloze=None)
        cloze = _first_valid(clozes, lambda c: filters.valid_cloze(c, target_name, EXAMPLES), accepted, item.rejections)
        if cloze:
            item.cloze = {"text": cloze, "source": "llm"}
            accepted.append(cloze)
        counts["cloze"][0 if cloze else 2] += 1
        items.append(item)
    units = [passages[(i * per_query + j) % len(passages)] for i in range(len(queries)) for j in range(per_query)]
    rows, unit_counts = passage_neighbors(
        asked, target_name, units, settings, seed, accepted, lambda k: items[k // per_query].rejections
    )
    for i, item in enumerate(items):
        item.boundary = [row for k in range(i * per_query, (i + 1) * per_query) for row in rows[k]]
    return items, counts | unit_counts


def rates(counts: dict[str, list[int]], queries: int, samples: int) -> dict:
    """The acceptance report of `budget.json`: per kind, the shares written by the LLM and
    accepted, replaced by a template, and dropped."""
    return {
        "prompt_version": PROMPT_VERSION,
        "queries": queries,
        "samples_per_query": samples,
        **{
            f"{kind}_{label}_rate": round(values[i] / max(sum(values), 1), 3)
            for kind, values in counts.items()
            for i, label in enumerate(("accepted", "fallback", "dropped"))
        },
    }


def _first_valid(candidates, check, accepted, rejections) -> str | None:
    for text in candidates:
        text = text.split("\n")[0].strip()
        reason = check(text) or ("near-duplicate" if filters.near_duplicate(text, accepted) else None)
        if reason is None:
            return text
        rejections.append(f"{reason}: {text[:80]!r}")
    return None
