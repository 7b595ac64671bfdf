"""The GPU check script runs its whole chain on CPU too, so it is ready when a GPU is lent."""

import json
import subprocess
import sys

from tests.conftest import REPO


def test_gpu_check_script_passes_on_cpu(tmp_path, rwku_root):
    out = tmp_path / "gpu_check"
    utility = rwku_root / "Target" / "1_Stephen_King"
    command = [sys.executable, "bench/gpu_check.py", "--out", str(out), "--quick", "--utility-path", str(utility)]
    run = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    report = json.loads((out / "gpu_check.json").read_text())
    assert report["all_ok"]
    steps = {r["step"] for r in report["records"] if "step" in r}
    assert {
        "learn",
        "rs_sample",
        "warm_start",
        "rebo_grpo",
        "rebo_ppo",
        "unlearn_npo_klr",
        "score_original",
        "score_rule-grpo",
        "scale_learn",
        "scale_rebo_ppo",
    } <= steps
