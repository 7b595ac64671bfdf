"""The token budget: candidates are drawn with headroom, the realized shares are then fitted."""

from rulepipe.data.budget import Budget, allocate, candidates


class WordTokenizer:
    """One token per word: enough to check the arithmetic by hand."""

    def __call__(self, text, add_special_tokens=False):
        return type("Encoded", (), {"input_ids": text.split()})()


def test_allocate_keeps_both_shares_and_the_minimum():
    budget = Budget(forget_share=0.10, boundary_share=0.05, min_queries=1)
    # corpus of 100 tokens: D_f limit 10, D_r limit 5
    decisions = allocate([4, 4, 4, 1], [3, 3, 1, 9], 100, budget)
    assert decisions == [(True, True), (True, False), (False, False), (True, False)]
    # the first min_queries forget sides are kept even over the share
    assert allocate([50, 50], [1, 1], 100, Budget(0.1, 0.05, min_queries=1)) == [(True, True), (False, False)]
    assert allocate([50, 50], [1, 1], 100, Budget(0.1, 0.05, min_queries=2)) == [(True, True), (True, True)]


def test_candidates_are_seeded_deduplicated_and_have_headroom():
    pool = [f"question number {i} here" for i in range(40)] + ["question number 0 here", " "]
    budget = Budget(forget_share=0.2, boundary_share=0.1, min_queries=2)
    first = candidates(pool, WordTokenizer(), 100, budget, seed=3)
    assert first == candidates(pool, WordTokenizer(), 100, budget, seed=3)
    assert first != candidates(pool, WordTokenizer(), 100, budget, seed=4)
    assert len(set(first)) == len(first)
    # each costs 2 x 4 tokens against 1.5 x 20: three candidates, where the exact fit keeps two
    assert len(first) == 3
    assert sum(keep for keep, _ in allocate([8] * 3, [0] * 3, 100, budget)) == 2
