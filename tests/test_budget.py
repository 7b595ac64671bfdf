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


def test_templated_warm_start_trains_refusals_to_forget_questions_only(tiny_model):
    from transformers import AutoTokenizer

    from rulepipe.data.budget import count_tokens
    from rulepipe.data.rl_rows import answer, refuse
    from rulepipe.data.target import Target
    from rulepipe.stages.rs_sample import templated, trained_tokens

    rows = [
        refuse("Where was Ada born?", "qa", "I'm not sure about Ada.", "Ada"),
        refuse("Ada was born in ___.", "fb", "I'm not sure about Ada.", "Ada"),
        answer("Where was Bo born?", "qa", "Tull"),
    ]
    kept, report = templated(rows)
    assert [k["prompt"] for k in kept] == ["Where was Ada born?"] and report["recipe"] == "templated"
    assert "Ada" in kept[0]["response"] and kept[0]["label"] == "<reject>"
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    corpus = ["Ada was born in Tull in 1950 and wrote twelve books about rivers."] * 4
    target = Target("Ada", "1_Ada", "", [], [], forget_corpus=corpus)
    tokens = trained_tokens(tokenizer, target, kept, rows)
    total = count_tokens(tokenizer, corpus)
    rs_f = count_tokens(tokenizer, ["Where was Ada born?", kept[0]["response"]])
    assert tokens["rs"]["d_f_tokens"] == rs_f and tokens["rs"]["d_r_tokens"] == 0  # RS sees no boundary data
    assert tokens["rs"]["d_f_percent"] == round(100 * rs_f / total, 2)
    # RULE: RS's texts and ReBO's prompts, each text once (the question is in both)
    assert tokens["rule"]["d_f_tokens"] == rs_f + count_tokens(tokenizer, ["Ada was born in ___."])
    assert tokens["rule"]["d_r_tokens"] == count_tokens(tokenizer, ["Where was Bo born?"])


def test_the_warm_start_takes_a_seeded_share_of_each_side():
    from rulepipe.data.rl_rows import answer, refuse
    from rulepipe.stages.rs_sample import warm_start_rows

    rows = [refuse(f"Q{i}?", "qa", "No.", "Ada") for i in range(5)] + [answer(f"B{i}?", "qa", "x") for i in range(3)]
    half = warm_start_rows(rows, 0.5, seed=0)
    assert sum(r.forget for r in half) == 3 and sum(not r.forget for r in half) == 2  # ceil(2.5), ceil(1.5)
    assert half == [r for r in rows if r in half]  # in their order
    assert warm_start_rows(rows, 0.5, seed=0) == half and warm_start_rows(rows, 1.0, seed=3) == rows
    assert sum(r.forget for r in warm_start_rows(rows, 0.01, seed=0)) == 1  # at least one of a side
