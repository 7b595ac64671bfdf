"""The paper's scale without a GPU: the preset carries the released settings (checked against
PAPER.md's own words), every training rule goes through the multi-process launcher with GPUs
of its own, the SLURM profile plans, and the engine's ZeRO / offload settings and the GPU lock
do what they say."""

import json
import re
import subprocess
import sys

import pytest
import yaml

from rulepipe.config import layered, validate_config
from rulepipe.training.engine import deepspeed_config
from tests.conftest import REPO, SHARED, train_config

PRESET = REPO / "workflow" / "presets" / "paper.yaml"


@pytest.fixture(scope="module")
def paper() -> dict:
    config = layered(yaml.safe_load((REPO / "config.yaml").read_text()), yaml.safe_load(PRESET.read_text()))
    config["benchmark"]["path"] = str(SHARED / "data" / "rwku")
    return validate_config(config, sources=["config.yaml", str(PRESET)])


def get(config: dict, dotted: str):
    for part in dotted.split("."):
        config = config[part]
    return config


# (preset value, expected, the phrase of PAPER.md that states it)
SETTINGS = [
    ("rule.warm_start.learning_rate", 4e-7, "lr 4e-7, 3 epochs, batch 8"),
    ("rule.warm_start.epochs", 3, "lr 4e-7, 3 epochs"),
    ("rule.warm_start.warmup_steps", 20, "20 warm-up steps"),
    ("rule.warm_start.max_length", 512, "cutoff 512"),
    ("rule.rebo.rollouts", 8, "8 rollouts per prompt"),
    ("rule.rebo.temperature", 1.0, "temperature 1.0"),
    ("rule.rebo.top_p", 1.0, "top-p 1.0"),
    ("rule.rebo.max_new_tokens", 1024, "response 1024 tokens"),
    ("rule.rebo.prompts_per_step", 32, "32 prompts per step"),
    ("rule.rebo.learning_rate", 2e-6, "AdamW lr 2e-6"),
    ("rule.rebo.weight_decay", 0.01, "weight decay 0.01"),
    ("rule.rebo.steps", 20, "20 steps"),
    ("rule.rebo.clip_low", 0.2, "0.2 low"),
    ("rule.rebo.clip_high", 0.3, "0.3 high"),
    ("rule.rebo.dual_clip", 3.0, "dual clip 3.0"),
    ("rule.rebo.kl_coef", 0.01, "coefficient 1e-2"),
    ("rule.rebo.stop_at_newline", False, "stopping at EOS only"),
    ("rule.rebo.train_stop_token", True, "(EOS is trained on)"),
    ("rule.prompt_format", "bare", "the bare question or cloze as the user turn"),
    ("rule.warm_start.recipe", "templated", "plain SFT on the 300 templated refusals"),
    ("rule.rebo.num_iterations", 1, "one update per step (on-policy)"),
    ("rule.rebo.algorithms", ["grpo", "rpp", "rpp-baseline", "ppo"], "**GRPO** (main), **REINFORCE++**, **PPO**"),
    ("evaluation.protocols", ["rule_release", "rwku"], "The paper's table** comes from the in-loop validation"),
    ("evaluation.rule_release.top_k", 50, "T 0.95, top-p 0.7, top-k 50"),
    ("baselines.epochs", 3, "RWKU's reference settings: 3 epochs"),
    ("baselines.learning_rate.ga", 6e-8, "GA lr 6e-8"),
    ("baselines.learning_rate.npo", 2e-6, "NPO lr 2e-6"),
    ("baselines.npo_beta", 0.2, "beta 0.2"),
    ("baselines.learning_rate.rt", 4e-7, "RT lr 4e-7"),
    ("baselines.learning_rate.dpo", 5e-6, "DPO lr 5e-6"),
]


@pytest.mark.parametrize("key, expected, phrase", SETTINGS, ids=[s[0] for s in SETTINGS])
def test_paper_preset_carries_the_released_settings(paper, key, expected, phrase):
    text = re.sub(r"\s+", " ", (SHARED / "docs" / "PAPER.md").read_text())
    assert phrase in text, f"PAPER.md no longer says {phrase!r}"
    assert get(paper, key) == expected


def test_paper_preset_batch_and_lengths(paper):
    text = re.sub(r"\s+", " ", (SHARED / "docs" / "PAPER.md").read_text())
    assert "batch 8" in text and "max prompt 512 / response 1024" in text
    # the warm start's batch of 8 spans the processes
    assert paper["rule"]["warm_start"]["micro_batch_size"] * paper["training"]["num_processes"] == 8
    assert paper["generation"]["max_model_len"] >= 512 + 1024
    assert paper["training"]["zero_stage"] == 3 and paper["generation"]["sleep_mode"] and paper["resources"]["gpu"]


LOCAL_MODEL = "model={name: llama-3-8b-instruct, source: local, path: tests/fixtures/config_only_model}"


def snakemake(*args: str, config: tuple[str, ...] = (LOCAL_MODEL,)) -> subprocess.CompletedProcess:
    """A dry run (no weights: the paper's model is a config-only stand-in)."""
    command = [sys.executable, "-m", "snakemake", "-n", "--cores", "8", *args, "--config", *config]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)


def commands(output: str) -> dict[str, list[str]]:
    """rule -> its printed shell commands (`snakemake -n -p`)."""
    found: dict[str, list[str]] = {}
    rule = None
    for line in output.splitlines():
        if line.startswith(("rule ", "localrule ")):
            rule = line.split()[1].rstrip(":")
        elif line.strip().startswith("Shell command:") or (rule and line.startswith("    ") and "rulepipe" in line):
            found.setdefault(rule, []).append(line)
    return found


def test_paper_dry_run_launches_every_training_rule_on_its_gpus():
    run = snakemake("-p", "--configfile", str(PRESET))
    assert run.returncode == 0, run.stderr[-3000:]
    shown = commands(run.stdout)
    launcher = "python -m rulepipe.gpus 4 python -m torch.distributed.run --standalone --nproc_per_node 4"
    for rule in ("warm_start", "rebo", "unlearn"):
        assert shown[rule] and all(launcher in c for c in shown[rule]), rule
    for rule in ("rs_sample", "rule_data", "score", "original_answers", "naturalness"):
        assert shown[rule] and all("python -m rulepipe.gpus 1 python -m rulepipe.cli" in c for c in shown[rule]), rule
        assert not any("torch.distributed.run" in c for c in shown[rule]), rule
    rebo = json.loads(re.search(r"--params '(\{.*?\})'", shown["rebo"][0]).group(1))
    assert {k: rebo["rule"]["rebo"][k] for k in ("steps", "prompts_per_step", "rollouts", "learning_rate")} == {
        "steps": 20,
        "prompts_per_step": 32,
        "rollouts": 8,
        "learning_rate": 2e-6,
    }
    assert rebo["training"]["zero_stage"] == 3 and rebo["generation"]["backend"] == "vllm"
    warm = json.loads(re.search(r"--params '(\{.*?\})'", shown["warm_start"][0]).group(1))
    assert warm["rule"]["warm_start"]["learning_rate"] == 4e-7


def test_paper_dry_run_plans_ppo_alone_with_its_critic_offloaded():
    run = snakemake("-p", "--configfile", str(PRESET), config=(LOCAL_MODEL, "rule={rebo: {algorithms: [ppo]}}"))
    assert run.returncode == 0, run.stderr[-3000:]
    shown = commands(run.stdout)
    assert shown["rebo"] and all("rule-ppo" in c for c in shown["rebo"])
    rebo = json.loads(re.search(r"--params '(\{.*?\})'", shown["rebo"][0]).group(1))
    assert rebo["rule"]["rebo"]["critic_offload"] == "all" and rebo["training"]["zero_stage"] == 3
    assert len(shown["rebo"]) == 10  # one PPO job per target, no other algorithm


def test_default_with_two_processes_launches_learn_too(tmp_path):
    two = tmp_path / "two.yaml"
    two.write_text("training: {num_processes: 2}\n")
    run = snakemake("-p", "--configfile", str(two), config=(f"results={tmp_path / 'results'}",))
    assert run.returncode == 0, run.stderr[-3000:]
    shown = commands(run.stdout)
    for rule in ("learn", "warm_start", "rebo", "unlearn"):
        assert all("torch.distributed.run --standalone --nproc_per_node 2" in c for c in shown[rule]), rule
        assert not any("rulepipe.gpus" in c for c in shown[rule]), rule  # a CPU run locks no GPU


def test_slurm_profile_plans_with_gpus_for_every_gpu_rule():
    run = snakemake("--profile", "workflow/profiles/slurm", "--configfile", str(PRESET))
    assert run.returncode == 0, run.stderr[-3000:]
    gpus: dict[str, set[str]] = {}
    rule = None
    for line in run.stdout.splitlines():
        if line.startswith(("rule ", "localrule ")):
            rule = line.split()[1].rstrip(":")
        elif line.strip().startswith("resources:") and rule:
            found = re.search(r"\bgpu=(\d+)", line)
            gpus.setdefault(rule, set()).add(found.group(1) if found else "0")
    assert gpus["rebo"] == gpus["warm_start"] == gpus["unlearn"] == {"4"}
    assert gpus["score"] == gpus["rs_sample"] == {"1"}
    assert gpus.get("summarize", {"0"}) == {"0"}


@pytest.mark.parametrize(
    "options, zero",
    [
        ({"zero_stage": 2}, {"stage": 2}),
        ({"zero_stage": 3, "param_persistence_threshold": 0}, {"stage": 3, "stage3_param_persistence_threshold": 0}),
        (
            {"zero_stage": 3, "offload_optimizer": True, "offload_params": True},
            {
                "stage": 3,
                "offload_optimizer": {"device": "cpu", "pin_memory": False},
                "offload_param": {"device": "cpu", "pin_memory": False},
            },
        ),
    ],
)
def test_deepspeed_config_follows_the_training_section(options, zero):
    config = deepspeed_config(train_config(micro_batch_size=2, gradient_accumulation=3, **options), world_size=4)
    assert config["zero_optimization"] == zero
    assert config["train_batch_size"] == 2 * 3 * 4
    assert config["bf16"]["enabled"] is False  # on CPU: fp32
