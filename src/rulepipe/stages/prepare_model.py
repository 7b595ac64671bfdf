"""The prepare_model stage: a model source (GGUF wheel, hub, local directory, tiny random)
-> an HF directory (`rulepipe.models.prepare`)."""

from __future__ import annotations

from rulepipe.models.prepare import prepare_model


def run(inputs: dict, outputs: dict, params: dict, seed: int) -> None:
    prepare_model(params["model"], outputs["model"], seed=seed)
