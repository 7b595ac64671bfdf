"""The rule_data stage: budgeted forget queries + synthesized boundary set -> RL prompts.

Writes, per target: `boundary.json` (items with provenance), `rl_data.json` (RULE's release
format: `{prompt, solution}` with `["<reject>", refusal, target]` or `["<normal>", answer]`,
plus the prompt's `format`) and `budget.json` (the paper's token columns, synthesis rates).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from rulepipe.data.budget import Budget, count_tokens, sample_forget_queries, token_report
from rulepipe.data.target import Target
from rulepipe.io import read_json, write_json
from rulepipe.prompts import REFUSAL_TEMPLATES
from rulepipe.synthesis.boundary import BoundaryItem, synthesize


def release_items(release_root: str | Path, target: Target, queries: list[str]) -> list[BoundaryItem]:
    """The RULE release's boundary rows for the same forget questions (for comparison)."""
    path = Path(release_root) / "Target" / target.target_id / "reject_with_fb_neighbor_target.json"
    rows = {row["instruction"]: row for row in read_json(path)}
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


def rl_rows(target: Target, items: list[BoundaryItem], refusal: str) -> list[dict]:
    reject = ["<reject>", refusal.format(name=target.name), target.name]
    rows = []
    for item in items:
        rows.append({"prompt": item.forget_query, "format": "qa", "solution": reject})
        if item.cloze:
            rows.append({"prompt": item.cloze["text"], "format": "fb", "solution": reject})
        if item.neighbor:
            rows.append(
                {"prompt": item.neighbor["question"], "format": "qa", "solution": ["<normal>", item.neighbor["answer"]]}
            )
        if item.neighbor_cloze:
            rows.append(
                {
                    "prompt": item.neighbor_cloze["text"],
                    "format": "fb",
                    "solution": ["<normal>", item.neighbor_cloze["answer"]],
                }
            )
    return rows


def build_rule_data(
    target_path: str, synthesizer_dir: str, out_dir: str, params: dict, seed: int = 0, world_path: str | None = None
) -> dict:
    from transformers import AutoTokenizer

    cfg = params["rule"]
    target = Target.load(target_path)
    tokenizer = AutoTokenizer.from_pretrained(synthesizer_dir)
    budget = Budget(**cfg["budget"])
    corpus_tokens = count_tokens(tokenizer, target.forget_corpus)
    queries = sample_forget_queries(target.forget_questions, tokenizer, corpus_tokens, budget, seed)
    synthesis = cfg["synthesis"]
    if synthesis["source"] == "rule_release":
        items, report = release_items(synthesis["release_path"], target, queries), {"source": "rule_release"}
    else:
        from rulepipe.generation import from_config
        from rulepipe.synthesis.grounding import ground_questions

        grounding = ground_questions(read_json(world_path), target.target_id, queries) if world_path else None
        neighbors = sorted({p.neighbor for p in target.neighbor_probes if p.neighbor})
        gen = params["generation"]
        generator = from_config(synthesizer_dir, gen, seed)
        items, report = synthesize(
            generator, target.name, queries, neighbors, grounding, samples=synthesis["samples"], seed=seed
        )
        generator.close()
    rows = rl_rows(target, items, REFUSAL_TEMPLATES[0])
    forget_texts = [r["prompt"] for r in rows if r["solution"][0] == "<reject>"]
    boundary_texts = [t for r in rows if r["solution"][0] == "<normal>" for t in (r["prompt"], r["solution"][1])]
    tokens = token_report(tokenizer, target.forget_corpus, forget_texts, boundary_texts)
    summary = {
        "target": target.target_id,
        "forget_queries": len(queries),
        "rl_prompts": len(rows),
        "budget": asdict(budget),
        "tokens": tokens,
        "synthesis": report,
    }
    out = Path(out_dir)
    write_json(out / "boundary.json", [asdict(item) for item in items])
    write_json(out / "rl_data.json", rows)
    write_json(out / "budget.json", summary)
    print(
        f"[rule-data] {target.target_id}: {len(queries)} forget queries, {len(rows)} RL prompts; "
        f"D_f {tokens['d_f_percent']}% D_r {tokens['d_r_percent']}% of the forget corpus; synthesis {report}",
        flush=True,
    )
    return summary
