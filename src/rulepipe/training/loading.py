"""Loading an HF model into a DeepSpeed engine: partitioned from the first byte under ZeRO-3.

Two things DeepSpeed and transformers do not do by themselves:
- transformers builds the model inside `deepspeed.zero.Init` only while an `HfDeepSpeedConfig`
  is alive (`zero3_init`);
- under ZeRO-3, transformers 5.x merges every checkpoint shard's whole state dict in host memory
  on *every* rank, although only rank 0 copies values into the gathered parameters
  (`integrations/deepspeed.py`, `_load_state_dict_into_zero3_model`: `if get_rank() == 0`).
  On a 4-GPU node that is 4 x 16 GB at 8B. `other_rank_state_dict` gives the other ranks the
  checkpoint's parameters as shape-only (meta) tensors instead, so one copy is read per job;
  buffers (which every rank copies itself) stay real.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import torch

from rulepipe.device import compute_dtype


@contextmanager
def zero3_init(ds_config: dict):
    """While a model loads under ZeRO-3: an `HfDeepSpeedConfig` is alive, so transformers builds
    it inside `deepspeed.zero.Init` and each rank materializes only its partition. Unset after,
    so that later loads in the process (a scorer, a test) load whole models again."""
    if ds_config["zero_optimization"]["stage"] != 3:
        yield
        return
    from transformers.integrations.deepspeed import HfDeepSpeedConfig, unset_hf_deepspeed_config

    keep = HfDeepSpeedConfig(ds_config)  # noqa: F841 (transformers holds only a weak reference)
    try:
        yield
    finally:
        unset_hf_deepspeed_config()


def checkpoint_files(model_dir: str | Path) -> list[Path]:
    """The safetensors files of an HF directory: those its index names, else model.safetensors."""
    model_dir = Path(model_dir)
    index = model_dir / "model.safetensors.index.json"
    if index.exists():
        return [model_dir / name for name in sorted(set(json.loads(index.read_text())["weight_map"].values()))]
    return [model_dir / "model.safetensors"]


def buffer_names(model_class, config) -> set[str]:
    """The model's buffer names, with and without its base-model prefix (a model built on meta)."""
    with torch.device("meta"):
        model = model_class.from_config(config)
    names = {name for name, _ in model.named_buffers()}
    return names | {name.removeprefix(f"{model.base_model_prefix}.") for name in names}


def other_rank_state_dict(model_dir: str | Path, model_class, config) -> dict[str, torch.Tensor]:
    """The checkpoint's keys for a rank other than 0 under ZeRO-3: parameters as meta tensors of
    their shape and dtype (rank 0 copies the values in), buffers read (every rank copies those)."""
    from safetensors import safe_open
    from transformers.modeling_utils import load_state_dict

    buffers = buffer_names(model_class, config)
    state: dict[str, torch.Tensor] = {}
    for file in checkpoint_files(model_dir):
        shapes = load_state_dict(str(file), map_location="meta")
        with safe_open(str(file), framework="pt") as handle:
            for key, meta in shapes.items():
                state[key] = handle.get_tensor(key) if key in buffers else meta
    return state


def load_model(model_dir: str | Path, ds_config: dict, head: str = "lm") -> torch.nn.Module:
    """The HF model in the compute dtype, partitioned from the start under ZeRO-3 (one copy of the
    checkpoint read per job, by rank 0). `head` "value": the same trunk with a fresh one-output
    token head (a PPO critic, as the release builds it: `num_labels=1`), seeded by the caller's
    torch seed."""
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForTokenClassification

    model_class = AutoModelForTokenClassification if head == "value" else AutoModelForCausalLM
    config = AutoConfig.from_pretrained(model_dir, **({"num_labels": 1} if head == "value" else {}))
    zero3 = ds_config["zero_optimization"]["stage"] == 3
    source, options = str(model_dir), {}
    if zero3 and torch.distributed.is_initialized() and torch.distributed.get_rank() != 0:
        # transformers takes a state dict only without a path, and an Auto class needs a path:
        # the architecture's own class, from the Auto class's mapping
        source, options = None, {"state_dict": other_rank_state_dict(model_dir, model_class, config)}
        model_class = model_class._model_mapping[type(config)]
    with zero3_init(ds_config):
        return model_class.from_pretrained(source, config=config, dtype=compute_dtype(), **options)
