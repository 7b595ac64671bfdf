"""The rule_data stage: budgeted forget queries + synthesized boundary set -> RL prompts.

Writes, per target: `boundary.json` (items with provenance), `rl_data.json` (RULE's release
format: `{prompt, solution}` with `["<reject>", refusal, target]` or `["<normal>", answer]`,
plus the prompt's `format`) and `budget.json` (the token shares, synthesis rates).

Token shares follow the release's data: D_f counts the forget-side prompts and D_r the
boundary prompts (not their answers: the release's 600 boundary prompts of RWKU targets 1-10
are 8.4% of the forget corpus, its stated 8.03%; with answers they are 12.7%), both as percent
of the target's forget corpus. The boundary set passes a leakage guard: no boundary row names
an entity that the retain probes score or repeats a probe (`synthesis.neighbors.leaks`).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from rulepipe.data import rl_rows
from rulepipe.data.budget import Budget, allocate, candidates, count_tokens, token_report
from rulepipe.data.contract import check_records
from rulepipe.data.rl_rows import RLRow
from rulepipe.data.target import Target
from rulepipe.io import DataError, read_json, write_json
from rulepipe.prompts import REFUSAL_TEMPLATES
from rulepipe.stages import optional
from rulepipe.synthesis.boundary import BoundaryItem, rates, synthesize
from rulepipe.synthesis.facts import fact_items
from rulepipe.synthesis.filters import valid_boundary_prompt
from rulepipe.synthesis.neighbors import comparable, leaks, load_pool


def release_items(release_root: str | Path, target: Target, queries: list[str]) -> list[BoundaryItem]:
    """The RULE release's boundary rows for the same forget questions (for comparison)."""
    path = Path(release_root) / "Target" / target.target_id / "reject_with_fb_neighbor_target.json"
    rows = {row["instruction"]: row for row in check_records(read_json(path), "release_boundary", path)}
    items = []
    for query in queries:
        row = rows.get(query)
        if row is None:
            continue
        nq, fq = row["neighbor_question"], row["FB_neighbor_question"]
        items.append(
            BoundaryItem(
                query,
                cloze={"text": row["FB_instruction"], "source": "rule_release"},
                neighbor={"entity": "", "question": nq["question"], "answer": nq["answer"], "source": "rule_release"},
                neighbor_cloze={"text": fq["question"], "answer": fq["answer"], "source": "rule_release"},
            )
        )
    return items


def benchmark_items(target: Target, queries: list[str], origin: str) -> list[BoundaryItem]:
    """Boundary pairs the benchmark itself provides (MUSE: its retain-side QA), one per forget
    query in turn; no cloze rewrites (MUSE asks no fill-in-the-blank probes)."""
    pool = target.boundary_pool
    if not pool:
        raise DataError(f"{origin}: rule.synthesis.source is benchmark, but the target has no boundary pool")
    items = []
    for i, query in enumerate(queries):
        pair = pool[i % len(pool)]
        neighbor = {"entity": "", "question": pair["question"], "answer": pair["answer"], "source": "benchmark"}
        items.append(BoundaryItem(query, cloze={}, neighbor=neighbor, neighbor_cloze=None))
    return items


def item_rows(target: Target, item: BoundaryItem, refusal: str) -> tuple[list[RLRow], list[RLRow]]:
    """One item's RL rows: (forget side to refuse, boundary side to answer)."""
    refusal = refusal.format(name=target.name)
    forget = [rl_rows.refuse(item.forget_query, "qa", refusal, target.name)]
    if item.cloze:
        forget.append(rl_rows.refuse(item.cloze["text"], "fb", refusal, target.name))
    boundary = []
    if item.neighbor:
        boundary.append(rl_rows.answer(item.neighbor["question"], "qa", item.neighbor["answer"]))
    if item.neighbor_cloze:
        boundary.append(rl_rows.answer(item.neighbor_cloze["text"], "fb", item.neighbor_cloze["answer"]))
    boundary += [rl_rows.answer(row["prompt"], row["format"], row["answer"]) for row in item.boundary]
    kept = []
    for row in boundary:  # the same checks whatever the source (the release's own files leak: 25 rows of target 5)
        reason = valid_boundary_prompt(row.prompt, target.name) or next(iter(leaks(target, [row])), None)
        if reason is None and row.answer.strip():
            kept.append(row)
        else:
            item.rejections.append(f"{reason or 'boundary: empty answer'}: {row.prompt[:60]!r}")
    return forget, kept


def prompts(rows: list[RLRow]) -> list[str]:
    """D_f counts the forget prompts, D_r the boundary prompts, not their answers (the release's
    accounting; see the module docstring)."""
    return [row.prompt for row in rows]


def fit_to_budget(
    target: Target, items: list[BoundaryItem], tokenizer, corpus_tokens: int, budget: Budget
) -> tuple[list[RLRow], list[str]]:
    """RL rows within the D_f / D_r shares, and each item's budget decision (for provenance)."""
    sides = [item_rows(target, item, REFUSAL_TEMPLATES[0]) for item in items]
    decisions = allocate(
        [count_tokens(tokenizer, prompts(f)) for f, _ in sides],
        [count_tokens(tokenizer, prompts(b)) for _, b in sides],
        corpus_tokens,
        budget,
    )
    rows, labels = [], []
    for (forget, boundary), (keep_forget, keep_boundary) in zip(sides, decisions, strict=True):
        rows += (forget if keep_forget else []) + (boundary if keep_boundary else [])
        labels.append("forget+boundary" if keep_boundary and boundary else "forget" if keep_forget else "over budget")
    return rows, labels


def synthesized(target: Target, origin: str, queries, params: dict, seed: int, models, world_path, neighbors_path):
    """(items, acceptance report) from the synthesizer: checked against the fact table where the
    benchmark has one (`world_path`; `models`: the writer's and the fact model's directories),
    else grounded in passages about comparable entities (`neighbors_path`)."""
    from functools import partial

    from rulepipe.generation import from_config
    from rulepipe.synthesis.grounding import ground_questions

    synthesis, generation = params["rule"]["synthesis"], params["generation"]
    if world_path:
        if not models[1]:
            raise DataError(f"{origin}: the benchmark has a fact table, but no fact model (rule.synthesis.fact_model)")
        grounding = ground_questions(read_json(world_path), target.target_id, queries)
        writer, knower = (partial(from_config, path, generation, seed) for path in models)
        items, counts = fact_items(writer, knower, target.name, queries, grounding, synthesis, seed)
        return items, rates(counts, len(queries), synthesis["samples"])
    if not neighbors_path:
        raise DataError(
            f"{origin}: rule.synthesis.neighbors.path is not set, and the benchmark has no fact table: "
            "boundary neighbours need a pool of comparable entities with passages (RWKU's all_intro.json)"
        )
    passages = comparable(target, load_pool(neighbors_path), synthesis["neighbors"]["count"], target.retain_corpus)
    with from_config(models[0], generation, seed) as generator:
        items, counts = synthesize(generator, target.name, queries, passages, synthesis, seed)
    report = rates(counts, len(queries), synthesis["samples"])
    report["neighbors"] = list(dict.fromkeys(n.name for n in passages))
    report["neighbor_passages"] = len(passages)
    return items, report


def build_rule_data(
    target_path: str,
    synthesizer_dir: str,
    out_dir: str,
    params: dict,
    seed: int = 0,
    world_path: str | None = None,
    neighbors_path: str | None = None,
    facts_dir: str | None = None,
) -> dict:
    """`facts_dir`: the fact model, where the benchmark has a fact table (`world_path`)."""
    from transformers import AutoTokenizer

    cfg = params["rule"]
    target = Target.load(target_path)
    tokenizer = AutoTokenizer.from_pretrained(synthesizer_dir)
    budget = Budget(**cfg["budget"])
    corpus_tokens = count_tokens(tokenizer, target.forget_corpus)
    queries = candidates(target.forget_questions, tokenizer, corpus_tokens, budget, seed)
    synthesis = cfg["synthesis"]
    if synthesis["source"] == "rule_release":
        items, report = release_items(synthesis["release_path"], target, queries), {"source": "rule_release"}
    elif synthesis["source"] == "benchmark":
        items, report = benchmark_items(target, queries, target_path), {"source": "benchmark"}
    else:
        models = (synthesizer_dir, facts_dir)
        items, report = synthesized(target, target_path, queries, params, seed, models, world_path, neighbors_path)
    rows, labels = fit_to_budget(target, items, tokenizer, corpus_tokens, budget)
    problems = leaks(target, rows)  # the guard: every boundary row passed `item_rows`; none may leak
    if problems:
        raise DataError(
            f"{target_path}: the boundary set would leak into the retain columns "
            f"({len(problems)} rows), e.g. {problems[0]}"
        )
    boundary_rows = [row for row in rows if not row.forget]
    tokens = token_report(
        tokenizer, target.forget_corpus, prompts([r for r in rows if r.forget]), prompts(boundary_rows)
    )
    summary = {
        "target": target.target_id,
        "candidate_queries": len(queries),
        "forget_queries": sum(label != "over budget" for label in labels),
        "boundary_pairs": labels.count("forget+boundary"),
        "boundary_rows": len(boundary_rows),
        "rl_prompts": len(rows),
        "budget": asdict(budget),
        "tokens": tokens,
        "synthesis": report,
    }
    out = Path(out_dir)
    write_json(out / "boundary.json", [asdict(item) | {"budget": label} for item, label in zip(items, labels)])
    rl_rows.write_rows(out / "rl_data.json", rows)
    write_json(out / "budget.json", summary)
    print(
        f"[rule_data] {target.target_id}: {summary['forget_queries']} of {len(queries)} candidate forget queries, "
        f"{summary['boundary_pairs']} boundary pairs, {len(rows)} RL prompts; "
        f"D_f {tokens['d_f_percent']}% D_r {tokens['d_r_percent']}% of the forget corpus; synthesis {report}",
        flush=True,
    )
    return summary


def run(inputs: dict, outputs: dict, params: dict, seed: int) -> None:
    world, neighbors = optional(inputs, "world"), optional(inputs, "neighbors")
    out_dir, facts = Path(outputs["rl_data"]).parent, optional(inputs, "facts")
    build_rule_data(inputs["target"], inputs["synthesizer"], out_dir, params, seed, world, neighbors, facts)
