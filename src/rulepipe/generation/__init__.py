"""One generation interface with two backends (vLLM, HF `generate`), chosen by config."""

from __future__ import annotations

from rulepipe.generation.base import Completion, Generator, SamplingConfig

__all__ = ["Completion", "Generator", "SamplingConfig", "make_generator", "vllm_available"]


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
