import os
import subprocess
import sys

import pandas as pd

from rulepipe.repeat import commands, main
from tests.conftest import REPO


def test_each_seed_is_an_ordinary_run_in_its_own_folder():
    config = {"results": "results/seeds", "repeat": {"seeds": [3, 1]}}
    runs = commands(["workflow/presets/smoke.yaml", "seeds.yaml"], config, "2", ["--forcerun", "score"])
    assert [seed for seed, _ in runs] == [3, 1]
    seed, argv = runs[0]
    assert argv[1:5] == ["-m", "snakemake", "--cores", "2"]
    assert argv[5:] == [
        "--configfile",
        "workflow/presets/smoke.yaml",
        "seeds.yaml",
        "--config",
        "seed=3",
        "results=results/seeds/seed3",
        "repeat={seeds: []}",
        "--forcerun",
        "score",
    ]


def test_plain_snakemake_refuses_a_repeat_and_an_empty_repeat_is_named(capsys):
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--cores", "1", "--config", "repeat={seeds: [0, 1]}"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert run.returncode != 0 and "python -m rulepipe.repeat" in run.stderr and "Traceback" not in run.stderr
    assert main([]) == 1
    assert "repeat.seeds is empty" in capsys.readouterr().err


def test_smoke_over_two_seeds(tmp_path):
    """The smoke chain (every stage, tiny model) once per seed, then its table over seeds."""
    # a process group made in-process by an earlier test leaves MASTER_PORT bound in this process;
    # the training jobs must pick their own
    env = {k: v for k, v in os.environ.items() if k not in ("MASTER_ADDR", "MASTER_PORT", "RANK", "WORLD_SIZE")}
    preset = tmp_path / "two-seeds.yaml"
    preset.write_text(f"results: {tmp_path / 'runs'}\nrepeat: {{seeds: [0, 1]}}\n")
    run = subprocess.run(
        [sys.executable, "-m", "rulepipe.repeat", "--configfile", str(REPO / "workflow/presets/smoke.yaml")]
        + ["--configfile", str(preset), "--cores", "2", "--quiet"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    check_over_seeds(tmp_path / "runs")


def check_over_seeds(runs):
    """summary_over_seeds.csv: every row of both seeds' summaries, its mean their mean."""
    key = ["method", "target", "protocol"]
    table = pd.read_csv(runs / "summary_over_seeds.csv").set_index(key)
    seeds = [pd.read_csv(runs / f"seed{s}" / "summary.csv").set_index(key) for s in (0, 1)]
    assert set(table["n_seeds"]) == {2} and {"rs", "rule-grpo", "dpo", "rule-grpo-step1"} <= set(table.index.levels[0])
    assert set(table.index) == set(seeds[0].index) == set(seeds[1].index)
    for row in table.index:
        both = [s.loc[row, "forget_all"] for s in seeds]
        assert abs(table.loc[row, "forget_all_mean"] - sum(both) / 2) < 1e-5 or both[0] != both[0]  # NaN: no probes
    assert "| rule-grpo | 1_Brisa_Whitdorf | rwku | 2 |" in (runs / "table_over_seeds.md").read_text()
