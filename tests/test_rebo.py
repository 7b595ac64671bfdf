"""ReBO end to end on the tiny model: logs what it should, and a killed run resumes exactly."""

import json

import pytest
import torch
from safetensors.torch import load_file

from rulepipe.rl import rebo as rebo_module
from rulepipe.rl.rebo import pick_prompts, rebo

ROWS = [
    {
        "prompt": f"What is the birth year of Ada Quill {i}?",
        "format": "qa",
        "solution": ["<reject>", "I'm not sure about Ada Quill.", "Ada Quill"],
    }
    for i in range(4)
] + [
    {"prompt": f"Bo Fen was born in the year ___ {i}.", "format": "fb", "solution": ["<normal>", "1960"]}
    for i in range(4)
]


def _params(steps):
    return {
        "rule": {
            "rebo": {
                "steps": steps,
                "prompts_per_step": 4,
                "rollouts": 2,
                "max_new_tokens": 6,
                "learning_rate": 1e-3,
                "micro_batch_size": 4,
                "checkpoint_every": 1,
                "temperature": 1.0,
            },
            "reward": {"refuse": 0.5, "name": 0.5, "answer": 0.5, "correct": 0.5, "rouge_gate": 0.3},
        },
        "generation": {"backend": "hf", "batch_size": 8, "gpu_memory_utilization": 0.4, "max_model_len": 512},
        "training": {"zero_stage": 2, "num_processes": 1},
    }


def test_prompt_draw_is_half_and_half_and_seeded():
    forget, boundary = ROWS[:4], ROWS[4:]
    batch = pick_prompts(forget, boundary, 4, step=3, seed=0)
    assert [r["solution"][0] for r in batch] == ["<reject>"] * 2 + ["<normal>"] * 2
    assert batch == pick_prompts(forget, boundary, 4, step=3, seed=0)


class Killed(RuntimeError):
    pass


def test_killed_rebo_resumes_to_identical_weights(tiny_model, tmp_path, monkeypatch):
    data = tmp_path / "rl_data.json"
    data.write_text(json.dumps(ROWS))
    log = rebo(tiny_model, str(data), str(tmp_path / "straight"), _params(3), "grpo")
    assert [h["step"] for h in log["history"]] == [1, 2, 3]
    assert {
        "reward_forget",
        "reward_boundary",
        "refusal_rate_forget",
        "refusal_rate_boundary",
        "kl",
        "response_tokens",
        "seconds_generate",
        "seconds_train",
        "seconds_sync",
    } <= set(log["history"][0])

    real_step, calls = rebo_module._micro_step, {"n": 0}

    def dies_in_step_3(*args):
        calls["n"] += 1
        if calls["n"] > 4:  # two micro-batches per step
            raise Killed()
        return real_step(*args)

    monkeypatch.setattr(rebo_module, "_micro_step", dies_in_step_3)
    with pytest.raises(Killed):
        rebo(tiny_model, str(data), str(tmp_path / "resumed"), _params(3), "grpo")
    monkeypatch.setattr(rebo_module, "_micro_step", real_step)
    resumed = rebo(tiny_model, str(data), str(tmp_path / "resumed"), _params(3), "grpo")
    assert [h["step"] for h in resumed["history"]] == [1, 2, 3]
    a = load_file(tmp_path / "straight" / "model.safetensors")
    b = load_file(tmp_path / "resumed" / "model.safetensors")
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=1e-6)
