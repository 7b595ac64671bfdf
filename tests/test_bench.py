"""The benchmark scripts read what runs leave behind."""

import json
import os
import subprocess
import sys

from tests.conftest import REPO

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def test_stage_times_sums_jobs_by_stage_and_splits_rebo_steps(tmp_path):
    bench = tmp_path / "benchmarks" / "fic" / "m"
    # ends at 1000 s (learn), then two score jobs side by side, then a gap, then naturalness
    jobs = (
        ("learn", 600, 1000),
        ("rs/1_A/score", 30, 1030),
        ("base/1_A/score", 50, 1050),
        ("naturalness/1_A", 60, 2000),
    )
    for job, seconds, end in jobs:
        (bench / job).parent.mkdir(parents=True, exist_ok=True)
        (bench / f"{job}.tsv").write_text(HEADER + f"{seconds}\t0:00:00\t1\t1\t1\t1\t0\t0\t100\t1\n")
        os.utime(bench / f"{job}.tsv", (end, end))
    model = tmp_path / "fic" / "m" / "rule-grpo" / "1_A" / "model"
    model.mkdir(parents=True)
    steps = [{"step": i, "generate": 10.0 + i, "train": 20.0, "sync": 0.0} for i in (1, 2, 3)]
    (model / "resources.json").write_text(json.dumps({"seconds_per_step": steps}))
    run = subprocess.run(
        [sys.executable, str(REPO / "bench" / "stage_times.py"), "--results", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "4 jobs, 12.3 min of job time, 11.8 min of wall time" in run.stdout  # 600 + 50 + 60 s
    assert "| learn | 1 | 10.0 | 600 | 81% |" in run.stdout
    assert "| score | 2 | 1.3 | 40 | 11% |" in run.stdout and "| naturalness | 1 | 1.0 | 60 | 8% |" in run.stdout
    assert "| fic/m/rule-grpo/1_A | 3 | 12.0 | 20.0 | 0.00 |" in run.stdout


def test_trl_step_gives_trl_the_prompts_rebo_draws(tiny_model):
    """The TRL comparison trains on ReBO's prompts of each step, in order, tokenized as ReBO
    tokenizes them (one BOS), with the reward's fields."""
    import importlib.util

    from transformers import AutoTokenizer

    from rulepipe.data.rl_rows import RLRow
    from rulepipe.rl.rebo import pick_prompts
    from rulepipe.rl.rollouts import rl_prompt_ids

    spec = importlib.util.spec_from_file_location("trl_step", REPO / "bench" / "trl_step.py")
    trl_step = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(trl_step)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    forget = [RLRow(f"Where was A born {i}?", "qa", True, "I don't know.", ("A",)) for i in range(5)]
    boundary = [RLRow(f"B was born in ___ {i}.", "fb", False, f"city {i}") for i in range(5)]
    dataset = trl_step.trl_dataset(tokenizer, forget + boundary, 4, "rwku", 2, 0)
    drawn = pick_prompts(forget, boundary, 4, 0, 0) + pick_prompts(forget, boundary, 4, 1, 0)
    assert len(dataset) == 8
    for record, row in zip(dataset, drawn, strict=True):
        assert tokenizer(record["prompt"]).input_ids == rl_prompt_ids(tokenizer, row, "rwku")
        assert (record["label"], record["names"], record["gold"]) == (
            row.label,
            list(row.names),
            None if row.forget else row.answer,
        )
