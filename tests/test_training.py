"""The DeepSpeed trainer: it learns, and a killed run resumes to the same weights."""

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoTokenizer

from rulepipe.training.data import IGNORE, ChatExample, tokenize_examples
from rulepipe.training.engine import sft_loss, train
from tests.conftest import train_config


def _rows(model_dir, n=24):
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    examples = [
        ChatExample(
            f"Please briefly answer the following question.\nQuestion: What is item {i}?\n",
            f" Value {i * 7}",
            "Answer:",
        )
        for i in range(n)
    ]
    return tokenize_examples(tokenizer, examples, 96)


def test_loss_mask_covers_only_the_response(tiny_model):
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    (row,) = tokenize_examples(tokenizer, [ChatExample("Q?", " A1", "Answer:")], 64)
    labelled = [t for t, label in zip(row["input_ids"], row["labels"]) if label != IGNORE]
    assert tokenizer.decode(labelled) == " A1<|im_end|>"
    assert row["labels"][: len(row["labels"]) - len(labelled)] == [IGNORE] * (len(row["labels"]) - len(labelled))


@pytest.mark.parametrize("stage", [0, 3])
def test_training_lowers_the_loss(tiny_model, tmp_path, stage):
    cfg = train_config(epochs=3, learning_rate=3e-3, micro_batch_size=8, zero_stage=stage, checkpoint_every=0)
    train(tiny_model, _rows(tiny_model), tmp_path / "out", cfg)
    import json

    history = json.loads((tmp_path / "out" / "train_log.json").read_text())["history"]
    assert history[-1]["loss"] < history[0]["loss"] * 0.7


class Killed(RuntimeError):
    pass


def evaluation(session, step):
    """A stand-in for the probes (evaluation.checkpoints): when it ran, and in which mode."""
    return {"step": step, "training_mode": session.engine.module.training}


def test_killed_run_resumes_to_identical_weights(tiny_model, tmp_path):
    """... and with the evaluations along the way: every half epoch (3 of 6 steps), in eval mode,
    the last step excepted, the same ones after a resume."""
    rows = _rows(tiny_model)
    cfg = train_config(epochs=2, learning_rate=1e-3, micro_batch_size=4, zero_stage=2, checkpoint_every=2)
    train(tiny_model, rows, tmp_path / "straight", cfg, evaluate=evaluation, eval_every=0.5)

    calls = {"n": 0}

    def dies_at_step_5(model, batch, reference=None):
        calls["n"] += 1
        if calls["n"] == 5:
            raise Killed()
        return sft_loss(model, batch, reference)

    with pytest.raises(Killed):
        train(tiny_model, rows, tmp_path / "resumed", cfg, loss_fn=dies_at_step_5, evaluate=evaluation, eval_every=0.5)
    assert not (tmp_path / "resumed").exists()
    assert (tmp_path / "resumed.ckpt" / "latest").read_text().strip() == "step4"
    train(tiny_model, rows, tmp_path / "resumed", cfg, evaluate=evaluation, eval_every=0.5)
    import json

    logs = [json.loads((tmp_path / run / "train_log.json").read_text())["history"] for run in ("straight", "resumed")]
    evaluations = [[h["evaluation"] for h in log if "evaluation" in h] for log in logs]
    assert evaluations[0] == evaluations[1] == [{"step": s, "training_mode": False} for s in (3, 6, 9)]
    assert not (tmp_path / "resumed.ckpt").exists()
    a = load_file(tmp_path / "straight" / "model.safetensors")
    b = load_file(tmp_path / "resumed" / "model.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=1e-6)


def test_zero3_full_weight_reads_equal_the_model_files(tiny_model, tmp_path):
    """Under ZeRO-3 with every parameter partitioned, the save's consolidated state dict and the
    weight push's per-parameter gather both return the whole, unchanged tensors."""
    from rulepipe.training.engine import open_session
    from rulepipe.training.export import full_state_dict, gathered_parameters

    cfg = train_config(zero_stage=3, param_persistence_threshold=0, checkpoint_every=0)
    session = open_session(tiny_model, cfg, total_steps=1, checkpoint_dir=tmp_path / "ckpt", mark={})
    files = load_file(f"{tiny_model}/model.safetensors")
    assert all(p.numel() == 0 for p in session.model.parameters())  # partitioned: nothing whole in place
    pushed = dict(gathered_parameters(session))
    assert pushed.keys() <= files.keys() and len(pushed) == len(list(session.model.parameters()))
    for name, tensor in pushed.items():
        torch.testing.assert_close(tensor, files[name], rtol=0, atol=0)
    saved = full_state_dict(session)
    for name, tensor in files.items():
        torch.testing.assert_close(saved[name], tensor, rtol=0, atol=0)


def test_cpu_autocast_resolves_on_this_machine():
    from rulepipe.device import autocast_dtype, native_cpu_bf16

    assert autocast_dtype("none") is None
    assert autocast_dtype("bf16") == torch.bfloat16
    assert autocast_dtype("auto") == (torch.bfloat16 if native_cpu_bf16() else None)


def test_cpu_autocast_reaches_the_forward_pass(tiny_model, tmp_path):
    """bf16 autocast changes the losses a little (its matmuls round), fp32 weights keep them close."""
    import json

    losses = {}
    for setting in ("none", "bf16"):
        cfg = train_config(epochs=1, learning_rate=1e-3, micro_batch_size=4, checkpoint_every=0, cpu_autocast=setting)
        train(tiny_model, _rows(tiny_model, 8), tmp_path / setting, cfg)
        history = json.loads((tmp_path / setting / "train_log.json").read_text())["history"]
        losses[setting] = [h["loss"] for h in history]
    assert losses["none"] != losses["bf16"]
    assert max(abs(a - b) for a, b in zip(losses["none"], losses["bf16"])) < 0.05 * max(losses["none"])
