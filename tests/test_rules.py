"""The rules' shell lines (workflow/rules/common.smk) run a config value as text, never as shell."""

import subprocess
import sys

from tests.conftest import REPO


def test_a_results_path_with_shell_syntax_runs_as_text(tmp_path):
    """`;`, `$( )`, backticks, a space and both quotes in `results`: the stage runs, its outputs
    and log land under that very path, and nothing of it is executed."""
    results = tmp_path / """r;touch PWNED1;echo $(touch PWNED2) `touch PWNED3` 'q "dq"""
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(REPO)]
        + ["--cores", "1", "--until", "prepare_benchmark", "--config", f"results={results}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert list(results.glob("data/fictional/*/target.json")), run.stderr[-2000:]
    assert (results / "logs" / "fictional" / "prepare_benchmark.log").is_file()
    planted = [p for p in [*tmp_path.rglob("PWNED*"), *REPO.glob("PWNED*")]]
    assert not planted, planted
