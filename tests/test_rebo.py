"""ReBO end to end on the tiny model: logs what it should, and a killed run resumes exactly."""

import json

import pytest
import torch
from safetensors.torch import load_file

from rulepipe.config import defaults
from rulepipe.data.rl_rows import RLRow
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


def _params(steps, **rebo):
    return {
        "rule": {
            "rebo": defaults(
                "rule.rebo",
                **{
                    "steps": steps,
                    "prompts_per_step": 4,
                    "rollouts": 2,
                    "max_new_tokens": 6,
                    "learning_rate": 1e-3,
                    "micro_batch_size": 4,
                    "checkpoint_every": 1,
                    **rebo,
                },
            ),
            "reward": defaults("rule.reward"),
            "prompt_format": "bare",
        },
        "generation": {"backend": "hf", "batch_size": 8, "gpu_memory_utilization": 0.4, "max_model_len": 512},
        "training": defaults("training", num_processes=1),
    }


def test_prompt_draw_is_half_and_half_and_seeded():
    rows = [RLRow.from_json(row) for row in ROWS]
    assert [row.to_json() for row in rows] == ROWS  # the release's format, read and written back unchanged
    forget, boundary = rows[:4], rows[4:]
    batch = pick_prompts(forget, boundary, 4, step=3, seed=0)
    assert [r.forget for r in batch] == [True] * 2 + [False] * 2
    assert batch[0].names == ("Ada Quill",) and batch[2].answer == "1960"
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
    } <= set(log["history"][0])
    resources = json.loads((tmp_path / "straight" / "resources.json").read_text())
    assert [set(t) for t in resources["seconds_per_step"]] == [{"step", "generate", "train", "sync"}] * 3

    resumed = killed_and_resumed(monkeypatch, tiny_model, data, tmp_path / "resumed", _params(3), "grpo", 2)
    assert [h["step"] for h in resumed["history"]] == [1, 2, 3]
    assert_same_weights(tmp_path / "straight", tmp_path / "resumed")
    log_bytes = [(tmp_path / run / "train_log.json").read_bytes() for run in ("straight", "resumed")]
    assert log_bytes[0] == log_bytes[1]


def killed_and_resumed(monkeypatch, model, data, out, params, algorithm, updates, **extra):
    """A run killed in the update after `updates` updates, then run again: the resumed log."""
    real_update, calls = rebo_module.update, {"n": 0}

    def dies(*args):
        calls["n"] += 1
        if calls["n"] > updates:
            raise Killed()
        return real_update(*args)

    monkeypatch.setattr(rebo_module, "update", dies)
    with pytest.raises(Killed):
        rebo(model, str(data), str(out), params, algorithm, **extra)
    monkeypatch.setattr(rebo_module, "update", real_update)
    return rebo(model, str(data), str(out), params, algorithm, **extra)


def assert_same_weights(a_dir, b_dir):
    a, b = load_file(a_dir / "model.safetensors"), load_file(b_dir / "model.safetensors")
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=1e-6)


@pytest.mark.parametrize("algorithm", ["rpp", "rpp-baseline", "ppo"])
def test_each_algorithm_trains_and_logs(tiny_model, tmp_path, algorithm):
    """Every algorithm's step runs end to end; PPO trains its critic (value loss logged, the
    checkpoint keeps the critic beside the policy) and several updates per batch make the clip act."""
    data = tmp_path / "rl_data.json"
    data.write_text(json.dumps(ROWS))
    params = _params(2, num_iterations=3, stop_at_newline=False, checkpoint_every=0)
    log = rebo(tiny_model, str(data), str(tmp_path / "out"), params, algorithm)
    assert [h["step"] for h in log["history"]] == [1, 2]
    if algorithm == "rpp-baseline":  # every group's rewards are equal here: no signal without the release's rpp
        assert all(h["clip_fraction"] == 0 for h in log["history"])
    else:  # lr 1e-3 moves the ratio past the clip by the second pass
        assert any(h["clip_fraction"] > 0 for h in log["history"])
    if algorithm == "ppo":
        assert all(h["value_loss"] > 0 for h in log["history"])
    assert (tmp_path / "out" / "model.safetensors").exists()
    assert not (tmp_path / "out.ckpt").exists()


def test_ppo_resumes_its_critic(tiny_model, tmp_path, monkeypatch):
    data = tmp_path / "rl_data.json"
    data.write_text(json.dumps(ROWS))
    straight = rebo(tiny_model, str(data), str(tmp_path / "straight"), _params(2), "ppo")
    resumed = killed_and_resumed(monkeypatch, tiny_model, data, tmp_path / "resumed", _params(2), "ppo", 1)
    assert resumed["history"][1]["value_loss"] == pytest.approx(straight["history"][1]["value_loss"], rel=1e-5)
    assert_same_weights(tmp_path / "straight", tmp_path / "resumed")


def test_in_loop_evaluations_are_the_curve_and_survive_a_kill(tiny_model, tmp_path, monkeypatch):
    """eval_every 1 over 3 steps: the policy after steps 1 and 2 is asked the probes (the finished
    model is scored as itself); a run killed after step 2 resumes with the same records."""
    from rulepipe.data.target import Probe, Target

    data = tmp_path / "rl_data.json"
    data.write_text(json.dumps(ROWS))
    probes = [Probe(f"Ada Quill was born in ___ {i}.", "1960", level, "cloze") for level in "123" for i in range(2)]
    neighbors = [
        Probe(f"Bo Fen plays the ___ {i}.", "harp", level, "cloze", "Bo Fen") for level in "12" for i in range(2)
    ]
    target = tmp_path / "target.json"
    Target("Ada Quill", "1_Ada_Quill", "", probes, neighbors).save(target)
    params = _params(3, eval_every=1) | {"evaluation": {"max_new_tokens": 4}}
    runs = {}
    for name in ("straight", "resumed"):
        out, curve = tmp_path / name / "model", tmp_path / name / "checkpoints.json"
        extra = {"target_path": str(target), "checkpoints_out": str(curve)}
        if name == "resumed":
            killed_and_resumed(monkeypatch, tiny_model, data, out, params, "grpo", 2, **extra)
        else:
            rebo(tiny_model, str(data), str(out), params, "grpo", **extra)
        runs[name] = json.loads(curve.read_text())["evaluations"]
    assert [e["step"] for e in runs["straight"]] == [1, 2]
    first = runs["straight"][0]
    assert first["forget"]["count"] == {"fb": 2, "qa": 2, "aa": 2} and first["neighbor"]["count"] == {"fb": 2, "qa": 2}
    assert len(first["items"]) == 10 and "seconds" not in first["generation"]
    assert runs["straight"] == runs["resumed"]


@pytest.mark.parametrize(
    ("offload", "optimizer", "params"), [("none", False, False), ("optimizer", True, False), ("all", True, True)]
)
def test_critic_offload_moves_only_the_critic_to_host_memory(offload, optimizer, params):
    from rulepipe.rl.rebo import ReboConfig, critic_config, train_config

    params_cfg = {"training": defaults("training", zero_stage=3, num_processes=1)}
    rebo = defaults("rule")["rebo"] | {"critic_offload": offload}
    cfg = ReboConfig(algorithm="ppo", **{k: v for k, v in rebo.items() if k != "algorithms"})
    policy = train_config(cfg, 1, 0, params_cfg, cfg.learning_rate)
    critic = critic_config(policy, cfg)
    assert (critic.offload_optimizer, critic.offload_params) == (optimizer, params)
    assert (policy.offload_optimizer, policy.offload_params) == (False, False)
