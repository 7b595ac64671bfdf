"""generation/seeds.py: one call seed per step, one stream per data-parallel group, and on a GPU
one block of vLLM seeds per prompt."""

import pytest

from rulepipe.generation.seeds import MAX_SAMPLES, request_seeds, stream_seed


def children(seeds: list[int], samples: int) -> list[int]:
    """The seeds vLLM gives the children of each request: seed + i (parallel_sampling.py)."""
    return [s + i for s in seeds for i in range(samples)]


def test_two_prompts_of_one_call_draw_different_streams():
    seeds = request_seeds(7 * 100003 + 3, 0, 24, 8)
    assert len(set(children(seeds, 8))) == 24 * 8
    assert seeds[1] - seeds[0] == MAX_SAMPLES  # prompt k's block: [s_k, s_k + MAX_SAMPLES)


def test_consecutive_steps_and_groups_reuse_no_stream():
    run = 7 * 100003
    steps = [children(request_seeds(run + step, group, 24, 8), 8) for step in range(50) for group in range(4)]
    flat = [s for block in steps for s in block]
    assert len(set(flat)) == len(flat) == 50 * 4 * 24 * 8


def test_the_ranks_of_one_tensor_parallel_group_get_the_same_seeds():
    """Ranks 0-1 and 2-3 of a 4-rank job with tensor_parallel_size 2: the stream is rank // 2, and
    both ranks of a group seed the group's shared prompts alike."""
    call, shared = 5 * 100003 + 1, 12
    by_rank = [request_seeds(call, rank // 2, shared, 4) for rank in range(4)]
    assert by_rank[0] == by_rank[1] and by_rank[2] == by_rank[3]
    assert not set(by_rank[0]) & set(by_rank[2])


def test_stream_seeds_keep_a_one_process_run_as_it_was():
    assert stream_seed(12345, 0) == 12345
    assert stream_seed(12345, 2) == 12345 + 2 * 1_000_003  # the rank term ReBO's rollouts used before


def test_seeds_fit_torch_and_the_layout_is_enforced():
    import torch

    for seed in request_seeds(2**32 - 1, 4095, 3, MAX_SAMPLES):
        torch.Generator().manual_seed(seed + MAX_SAMPLES - 1)
    with pytest.raises(ValueError, match="samples per prompt"):
        request_seeds(0, 0, 1, MAX_SAMPLES + 1)
    with pytest.raises(ValueError, match="stream 4096"):
        request_seeds(0, 4096, 1, 1)
