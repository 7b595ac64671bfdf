"""The forget-query budget: which training prompts RULE may use, and what they cost.

The paper counts RULE's data in tokens against the target's forget corpus (RWKU's
`positive.json` = 100%): D_f (forget-side prompts) 12.1% and D_r (boundary prompts with their
answers) 8.03% for RS + ReBO. Each forget question brings a cloze rewrite (also D_f) and a
boundary pair (D_r) that only exist after synthesis, so budgeting is two-step: draw candidate
questions at an estimated cost with some headroom (`candidates`), synthesize for them, then
keep items in the same seeded order while the realized shares fit (`allocate`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# A cloze rewrite is about as long as its question; candidates get headroom so that the exact
# fit after synthesis can still fill the share when some rewrites come out longer.
CLOZE_COST_FACTOR = 2.0
CANDIDATE_HEADROOM = 1.5


@dataclass(frozen=True)
class Budget:
    forget_share: float = 0.12  # D_f tokens / forget-corpus tokens
    boundary_share: float = 0.08  # D_r tokens / forget-corpus tokens
    min_queries: int = 4


def count_tokens(tokenizer, texts: list[str]) -> int:
    return sum(len(tokenizer(text, add_special_tokens=False).input_ids) for text in texts)


def candidates(pool: list[str], tokenizer, corpus_tokens: int, budget: Budget, seed: int) -> list[str]:
    """Questions in a seeded random order, enough to fill the D_f share once clozes are added."""
    order = list(dict.fromkeys(q for q in pool if q.strip()))  # dedupe, keep order
    random.Random(seed).shuffle(order)
    limit = CANDIDATE_HEADROOM * budget.forget_share * corpus_tokens
    chosen, used = [], 0.0
    for query in order:
        cost = CLOZE_COST_FACTOR * count_tokens(tokenizer, [query])
        if used + cost > limit and len(chosen) >= budget.min_queries:
            break
        chosen.append(query)
        used += cost
    return chosen


def allocate(
    forget_costs: list[int], boundary_costs: list[int], corpus_tokens: int, budget: Budget
) -> list[tuple[bool, bool]]:
    """Per item (in priority order): keep its forget side?, keep its boundary side?

    First fit: an item's forget side is kept while D_f stays within its share (the first
    `min_queries` always are); its boundary side only if its forget side is kept and D_r fits.
    """
    forget_limit = budget.forget_share * corpus_tokens
    boundary_limit = budget.boundary_share * corpus_tokens
    used_f = used_r = kept = 0
    decisions = []
    for forget_cost, boundary_cost in zip(forget_costs, boundary_costs, strict=True):
        keep_forget = kept < budget.min_queries or used_f + forget_cost <= forget_limit
        keep_boundary = keep_forget and used_r + boundary_cost <= boundary_limit
        if keep_forget:
            used_f += forget_cost
            kept += 1
        if keep_boundary:
            used_r += boundary_cost
        decisions.append((keep_forget, keep_boundary))
    return decisions


def token_report(tokenizer, corpus: list[str], forget_texts: list[str], boundary_texts: list[str]) -> dict:
    """Token counts and the paper's "# Tokens" columns (percent of the forget corpus)."""
    corpus_tokens = count_tokens(tokenizer, corpus)
    forget_tokens = count_tokens(tokenizer, forget_texts)
    boundary_tokens = count_tokens(tokenizer, boundary_texts)
    denominator = max(corpus_tokens, 1)
    return {
        "forget_corpus_tokens": corpus_tokens,
        "d_f_tokens": forget_tokens,
        "d_r_tokens": boundary_tokens,
        "d_f_percent": round(100 * forget_tokens / denominator, 2),
        "d_r_percent": round(100 * boundary_tokens / denominator, 2),
    }
