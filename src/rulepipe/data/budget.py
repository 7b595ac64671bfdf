"""The forget-query budget: which training questions RULE may use, and what they cost.

The paper counts RULE's data in tokens against the target's forget corpus (RWKU's
`positive.json` = 100%): D_f (forget queries) 12.1% and D_r (boundary queries) 8.03% for
RS + ReBO. The budget here samples forget questions from the training pool (RWKU: the
refusal set's questions; fictional: the generator's other phrasings, never the probes) until
their tokens reach the D_f share, and reports both shares the way the paper's columns do.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    forget_share: float = 0.12  # D_f tokens / forget-corpus tokens
    boundary_share: float = 0.08  # D_r tokens / forget-corpus tokens
    min_queries: int = 4


def count_tokens(tokenizer, texts: list[str]) -> int:
    return sum(len(tokenizer(text, add_special_tokens=False).input_ids) for text in texts)


def sample_forget_queries(pool: list[str], tokenizer, corpus_tokens: int, budget: Budget, seed: int) -> list[str]:
    """Questions drawn at random (seeded) from `pool` while their tokens fit the D_f share."""
    order = list(dict.fromkeys(q for q in pool if q.strip()))  # dedupe, keep order
    random.Random(seed).shuffle(order)
    limit = budget.forget_share * corpus_tokens
    chosen, used = [], 0
    for query in order:
        cost = count_tokens(tokenizer, [query])
        if used + cost > limit and len(chosen) >= budget.min_queries:
            break
        chosen.append(query)
        used += cost
    return chosen


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
