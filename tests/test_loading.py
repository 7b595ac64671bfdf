"""training.loading: under ZeRO-3 the ranks other than 0 read no parameter values."""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import load_file
from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForTokenClassification

from rulepipe.training.loading import buffer_names, checkpoint_files, other_rank_state_dict


def test_other_ranks_get_shapes_of_parameters_and_values_of_buffers(tiny_model):
    (file,) = checkpoint_files(tiny_model)
    saved = load_file(str(file))
    config = AutoConfig.from_pretrained(tiny_model)
    state = other_rank_state_dict(tiny_model, AutoModelForCausalLM, config)
    assert state.keys() == saved.keys()
    for key, value in state.items():
        assert value.is_meta and value.shape == saved[key].shape and value.dtype == saved[key].dtype, key


def test_buffer_names_cover_the_base_model_prefix(tiny_model):
    config = AutoConfig.from_pretrained(tiny_model, num_labels=1)
    names = buffer_names(AutoModelForTokenClassification, config)
    assert "model.rotary_emb.inv_freq" in names and "rotary_emb.inv_freq" in names


def test_a_checkpoint_buffer_is_read_on_every_rank(tiny_model, tmp_path):
    from safetensors.torch import save_file

    (file,) = checkpoint_files(tiny_model)
    saved = load_file(str(file)) | {"model.rotary_emb.inv_freq": torch.arange(4.0)}  # an old checkpoint's buffer
    for name in ("config.json",):
        (tmp_path / name).write_bytes((Path(tiny_model) / name).read_bytes())
    save_file(saved, str(tmp_path / "model.safetensors"))
    state = other_rank_state_dict(tmp_path, AutoModelForCausalLM, AutoConfig.from_pretrained(tmp_path))
    assert torch.equal(state["model.rotary_emb.inv_freq"], torch.arange(4.0))
    assert state["model.embed_tokens.weight"].is_meta
