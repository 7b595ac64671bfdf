"""A model directory checked before a stage loads it: Snakemake sees a finished model folder
by its marker, so a truncated or hand-edited `config.json` would otherwise surface as a
traceback deep in transformers or vLLM."""

from __future__ import annotations

import json
from pathlib import Path

from rulepipe.io import DataError


def looks_like_model(directory: Path) -> bool:
    return directory.is_dir() and ((directory / "config.json").exists() or any(directory.glob("*.safetensors")))


def check_model_config(directory: str | Path) -> None:
    """A DataError naming the file unless `directory/config.json` parses to a mapping with a
    `model_type` (checked at config time for `model.path`)."""
    directory = Path(directory)
    config = directory / "config.json"
    if not config.is_file():
        raise DataError(f"{config}: missing: {directory} is not a complete HF model directory")
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataError(f"{config}: not valid JSON ({err}); the model directory is damaged (delete it)") from None
    if not isinstance(data, dict) or "model_type" not in data:
        raise DataError(f"{config}: no model_type: not an HF model config")


def check_model_dir(directory: str | Path) -> None:
    """`check_model_config`, and the weights are safetensors (a pickle would run code when
    loaded): what a stage checks before it loads a model."""
    directory = Path(directory)
    check_model_config(directory)
    if not any(directory.glob("*.safetensors")):
        raise DataError(f"{directory}: no *.safetensors weights (pickled weights are not loaded: they can run code)")


def check_model_inputs(inputs: dict) -> None:
    """Every input of a stage that is a model directory passes `check_model_dir`."""
    for value in inputs.values():
        for path in [value] if isinstance(value, str) else list(value or []):
            if isinstance(path, str) and looks_like_model(Path(path)):
                check_model_dir(path)
