"""Bad inputs against a checkout, through the interfaces users touch: a dry run of the DAG with
a config (file or `--config`), the prepare-benchmark stage on a mutated copy of an RWKU
target, a real (cheap) stage run with shell syntax in a path, and the config-file check
(`python -m rulepipe.check`) on broken files. Prints one verdict per case:

- `works`: accepted (right for a valid override, silent for a bad input);
- `clear: ...`: stopped with a message that names the file / key (first line shown);
- `traceback`: stopped with a Python traceback.

    python bench/bad_inputs.py                      # this checkout
    python bench/bad_inputs.py --repo /tmp/old      # another (a `git worktree` of an older commit)

The repository's own Python (`.venv`) runs both: the checkout under test comes first on
PYTHONPATH. RWKU comes from `../shared/data/rwku` beside the checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

TARGET = "1_Stephen_King"
CONFIG_CASES = {  # name -> (expected, extra snakemake arguments, config file content or None)
    "README: --config benchmark={targets: [1, 3]}": ("works", ["--config", "benchmark={targets: [1, 3]}"], None),
    "--config learn={epochs: 1}": ("works", ["--config", "learn={epochs: 1}"], None),
    "--config rule={rebo: {learning_rate: 1e-6}}": ("works", ["--config", "rule={rebo: {learning_rate: 1e-6}}"], None),
    "learn.learning_rate: fast": ("error", [], {"learn": {"learning_rate": "fast"}}),
    "unknown key learn.lr": ("error", [], {"learn": {"lr": 0.1}}),
    "training.zero_stage: 5": ("error", [], {"training": {"zero_stage": 5}}),
    "targets [99] (fictional world of 8)": ("error", [], {"benchmark": {"targets": [99]}}),
    "rwku-local targets [11] (folder holds 1-10)": (
        "error",
        [],
        {"benchmark": {"name": "rwku", "source": "local", "path": "../shared/data/rwku", "targets": [11]}},
    ),
    "utility.path missing": ("error", [], {"utility": {"path": "/nonexistent/utility"}}),
    "evaluation.max_new_tokens 4096 > max_model_len": ("error", [], {"evaluation": {"max_new_tokens": 4096}}),
    "prompts_per_step 7 on 2 processes": (
        "error",
        [],
        {"rule": {"rebo": {"prompts_per_step": 7}}, "training": {"num_processes": 2}},
    ),
    "model.source local without config.json": ("error", [], {"model": {"source": "local", "path": "/tmp"}}),
    "judge endpoint without url": ("error", [], {"naturalness": {"judge": {"kind": "endpoint"}}}),
    # paths outside results/, ranges, untrusted strings (issue 29)
    "results: '' (the filesystem root)": ("error", [], {"results": ""}),
    "results: an existing file": ("error", [], {"results": "config.yaml"}),
    "results with a brace (a Snakemake wildcard)": ("error", ["--config", "results=r{x}"], None),
    "benchmark.name: ..": ("error", [], {"benchmark": {"name": ".."}}),
    "model.name: ..": ("error", [], {"model": {"name": ".."}}),
    "hub target name ../../tmp/x": (
        "error",
        [],
        {"benchmark": {"name": "rwku", "source": "hub", "targets": ["../../tmp/x"]}},
    ),
    "seed -1": ("error", ["--config", "seed=-1"], None),
    "seed 2^32": ("error", ["--config", "seed=4294967296"], None),
    "learn.max_length 2^40": ("error", [], {"learn": {"max_length": 2**40}}),
    "retain_release_path missing (rwku local)": (
        "error",
        [],
        {
            "benchmark": {
                "name": "rwku",
                "source": "local",
                "path": "../shared/data/rwku",
                "retain_release_path": "/nonexistent/release",
            }
        },
    ),
    "judge url file:///etc/passwd": (
        "error",
        [],
        {"naturalness": {"judge": {"kind": "endpoint", "url": "file:///etc/passwd", "endpoint_model": "m"}}},
    ),
}
LOCAL_CASES = {  # name -> (mutation of a copy of the target's directory, benchmark / utility over rwku-local)
    "a target without its utility files (utility.path null)": (
        lambda d: [(d / f).unlink() for f in ("truthful.json", "triviaqa.json", "fluency.json")],
        {"utility": {"path": None}},
    ),
    "two folders numbered 1 (targets: [1])": (
        lambda d: __import__("shutil").copytree(d, d.parent / "1_Stephen_King_again"),
        {},
    ),
    "model.path with a truncated config.json": (
        lambda d: (d / "model").mkdir() or (d / "model" / "config.json").write_text('{"model_type": "lla'),
        {"model": {"name": "m", "source": "local", "path": "{target}/model"}},
    ),
}
CONFIG_FILES = {  # name -> the bytes of a --configfile (checked by python -m rulepipe.check)
    "--configfile that does not exist": None,
    "--configfile with a YAML syntax error": b"learn:\n  epochs: [1\n",
    "--configfile holding a list": b"- a\n- b\n",
    "--configfile that is empty": b"",
}
SHELL_PATH = """r;touch PWNED1;echo $(touch PWNED2) `touch PWNED3` 'q "dq"""


def set_field(file: str, index: int, field: str, value):
    """A mutation: item `index` of `file` gets `value` for `field` (KeyError: the field removed)."""

    def mutate(directory: Path) -> None:
        rows = json.loads((directory / file).read_text())
        if value is KeyError:
            del rows[index][field]
        else:
            rows[index][field] = value
        (directory / file).write_text(json.dumps(rows))

    return mutate


def write_file(file: str, content: bytes):
    return lambda directory: (directory / file).write_bytes(content)


RECORD_CASES = {  # name -> mutation of a copy of the target's directory (every one should stop)
    '"answer": null': set_field("forget_level2.json", 0, "answer", None),
    "empty forget_level1.json": write_file("forget_level1.json", b"[]"),
    "MMLU answer 7": set_field("retain_mmlu.json", 0, "answer", 7),
    "MMLU item with 2 choices": set_field("retain_mmlu.json", 1, "choices", ["a", "b"]),
    '"query": 12345': set_field("neighbor_level1.json", 2, "query", 12345),
    "non-UTF-8 bytes": write_file("forget_level3.json", b'[{"query": "\xff\xfe"}]'),
    "intro.json without target": set_field("intro.json", 0, "target", KeyError),
    "reject.json without instruction": set_field("reject.json", 3, "instruction", KeyError),
    "a 5 MB query": set_field("forget_level1.json", 0, "query", "x" * 5_000_000),
    'empty answer "  "': set_field("neighbor_level2.json", 0, "answer", "  "),
    "TriviaQA answers []": set_field("triviaqa.json", 0, "answers", []),
    "forget_mia.json item without text": set_field("forget_mia.json", 0, "text", KeyError),
    "every forget_level1.json item with level 2": lambda d: (d / "forget_level1.json").write_text(
        (d / "forget_level1.json").read_text().replace('"level": "1"', '"level": "2"')
    ),
    '"answer": NaN': lambda d: (d / "forget_level2.json").write_text(
        (d / "forget_level2.json").read_text().replace('"answer": "', '"answer": NaN, "was": "', 1)
    ),
    "no positive.json (an empty forget corpus)": lambda d: (d / "positive.json").unlink(),
}


def verdict(run: subprocess.CompletedProcess) -> str:
    if run.returncode == 0:
        return "works"
    text = run.stderr + run.stdout
    if "Traceback" in text:
        return "traceback: " + next((ln for ln in reversed(text.splitlines()) if ln.strip()), "")[:110]
    lines = [ln.strip() for ln in text.splitlines() if "error" in ln.lower() or ".json" in ln or ": " in ln]
    return "clear: " + (lines[-1] if lines else text.strip().splitlines()[-1])[:140]


def run_config(repo: Path, python: str, env: dict, extra: list[str], content: dict | None, scratch: Path) -> str:
    args = [python, "-m", "snakemake", "-n", "--cores", "2", "--quiet"]
    if content is not None:
        path = scratch / "case.yaml"
        path.write_text(yaml.safe_dump(content))
        args += ["--configfile", str(path)]
    return verdict(subprocess.run(args + extra, cwd=repo, env=env, capture_output=True, text=True, timeout=600))


def run_local(repo: Path, python: str, env: dict, mutate, over: dict, scratch: Path) -> str:
    """A dry run of rwku-local on a mutated copy of target 1."""
    root = scratch / "rwku"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(repo.parent / "shared" / "data" / "rwku" / "Target" / TARGET, root / "Target" / TARGET)
    mutate(root / "Target" / TARGET)
    preset = yaml.safe_load((repo / "workflow" / "presets" / "rwku-local.yaml").read_text())
    preset["benchmark"] |= {"path": str(root), "targets": [1]}
    for section, values in over.items():
        values = {
            k: v.replace("{target}", str(root / "Target" / TARGET)) if isinstance(v, str) else v
            for k, v in values.items()
        }
        preset[section] = preset.get(section, {}) | values
    path = scratch / "case.yaml"
    path.write_text(yaml.safe_dump(preset))
    args = [python, "-m", "snakemake", "-n", "--cores", "2", "--quiet", "--configfile", str(path)]
    return verdict(subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, timeout=600))


def run_config_file(repo: Path, python: str, env: dict, content: bytes | None, scratch: Path) -> str:
    path = scratch / "given.yaml"
    path.unlink(missing_ok=True)
    if content is not None:
        path.write_bytes(content)
    args = [python, "-m", "rulepipe.check", str(path)]
    return verdict(subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, timeout=600))


def run_shell_path(repo: Path, python: str, env: dict, scratch: Path) -> str:
    """A real run of the first stage with shell syntax in `results`: nothing may execute."""
    results = scratch / SHELL_PATH
    args = [python, "-m", "snakemake", "--cores", "1", "--until", "prepare_benchmark", "--config", f"results={results}"]
    run = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    planted = sorted(p.name for p in [*scratch.rglob("PWNED*"), *repo.glob("PWNED*")])
    for p in repo.glob("PWNED*"):
        p.unlink()
    if planted:
        return f"EXECUTED: {', '.join(planted)} created"
    return verdict(run) + (" (nothing executed; outputs under that path)" if run.returncode == 0 else "")


def run_record(repo: Path, python: str, env: dict, mutate, scratch: Path) -> str:
    root = scratch / "rwku"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(repo.parent / "shared" / "data" / "rwku" / "Target" / TARGET, root / "Target" / TARGET)
    mutate(root / "Target" / TARGET)
    bench = yaml.safe_load((repo / "config.yaml").read_text())["benchmark"]
    bench |= {"name": "rwku", "kind": "rwku", "source": "local", "path": str(root), "targets": [1]}
    bench |= {"retain_release_path": None, "learn": None, "allow_empty_levels": False}
    outputs = {"targets": [str(scratch / "out" / TARGET / "target.json")]}
    args = [python, "-m", "rulepipe.cli", "prepare_benchmark", "--outputs", json.dumps(outputs)]
    args += ["--params", json.dumps({"benchmark": bench})]
    run = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    written = (scratch / "out" / TARGET / "target.json").exists()
    shutil.rmtree(scratch / "out", ignore_errors=True)
    return verdict(run) + (" (target.json written)" if written else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", default=str(Path(__file__).resolve().parents[1]))
    args = parser.parse_args()
    repo = Path(args.repo).resolve()
    env = dict(os.environ, PYTHONPATH=str(repo / "src"))
    print(f"# bad inputs against {repo}\n\n| case | expected | verdict |\n|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        for name, (expected, extra, content) in CONFIG_CASES.items():
            print(f"| {name} | {expected} | {run_config(repo, sys.executable, env, extra, content, scratch)} |")
        for name, mutate in RECORD_CASES.items():
            print(f"| {name} | error | {run_record(repo, sys.executable, env, mutate, scratch)} |", flush=True)
        for name, (mutate, over) in LOCAL_CASES.items():
            print(f"| {name} | error | {run_local(repo, sys.executable, env, mutate, over, scratch)} |", flush=True)
        for name, content in CONFIG_FILES.items():
            print(f"| {name} | error | {run_config_file(repo, sys.executable, env, content, scratch)} |", flush=True)
        shell = run_shell_path(repo, sys.executable, env, scratch)
        print(f"| results with ; $( ) ` ' \" and spaces (a real run) | works, nothing executed | {shell} |")


if __name__ == "__main__":
    main()
