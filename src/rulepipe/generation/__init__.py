"""One generation interface with two backends (vLLM, HF `generate`), chosen by config."""

from __future__ import annotations

from rulepipe.generation.base import Completion, Generator, SamplingConfig

__all__ = ["Completion", "Generator", "SamplingConfig", "from_config", "make_generator", "vllm_available"]


def vllm_available() -> bool:
    try:
        import vllm  # noqa: F401
    except Exception:  # a broken install raises more than ImportError
        return False
    return True


def make_generator(model_dir: str, backend: str = "auto", seed: int = 0, **options) -> Generator:
    """`auto` takes vLLM when it imports, else HF."""
    if backend == "auto":
        backend = "vllm" if vllm_available() else "hf"
    if backend == "vllm":
        from rulepipe.generation.vllm_backend import VLLMGenerator

        return VLLMGenerator(model_dir, seed=seed, **options)
    if backend == "hf":
        from rulepipe.generation.hf_backend import HFGenerator

        return HFGenerator(model_dir, seed=seed, batch_size=options.get("batch_size", 16))
    raise ValueError(f"unknown generation backend {backend!r} (expected auto, vllm or hf)")


def from_config(model_dir: str, generation: dict, seed: int = 0) -> Generator:
    """A generator built from the config's `generation` section."""
    return make_generator(
        model_dir,
        generation["backend"],
        seed=seed,
        batch_size=generation["batch_size"],
        gpu_memory_utilization=generation["gpu_memory_utilization"],
        max_model_len=generation["max_model_len"],
        tensor_parallel_size=generation["tensor_parallel_size"],
    )
