"""The GPU path in one run (about 5 minutes on one GPU; the device tool's budget is 8).

    python bench/gpu_check.py --out DIR            # on a GPU machine (bench/gpu_check.sh there)
    python bench/gpu_check.py --out DIR --quick    # the same chain on CPU (tests/test_gpu_check.py)

Every stage runs through the CLI the DAG calls, training ones through torchrun, on a small
random Llama (the smoke world, no download), with the preset's settings turned to the paper's
machinery: DeepSpeed ZeRO-3 with every parameter partitioned, bf16 and gradient checkpointing
on the GPU, NCCL; the rejection-sampling and ReBO rollouts through HF `generate` on the device
(vLLM is not carried), ReBO's KL reference partitioned on the device beside the policy, NPO+KLR's
reference likewise; probes, MIA scoring and utility in bf16 on the device; and, last, ZeRO-3
with the optimizer offloaded to DeepSpeed's CPU Adam. Each step's seconds, peak GPU memory,
saved dtype and a few checks go to DIR/gpu_check.json and the log.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))


def merged(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def settings(gpu: bool) -> dict:
    """config.yaml + the smoke preset + the paper's machinery, validated like the DAG's."""
    from rulepipe.config import validate_config

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config = merged(config, yaml.safe_load((REPO / "workflow" / "presets" / "smoke.yaml").read_text()))
    config = merged(
        config,
        {
            "generation": {"backend": "hf", "batch_size": 16},
            "training": {
                "zero_stage": 3,
                "num_processes": 1,
                "param_persistence_threshold": 0,
                "gradient_checkpointing": gpu,
            },
            "learn": {"epochs": 2},
            "rule": {"warm_start": {"checkpoint_every": 0}, "rebo": {"steps": 3, "stop_at_newline": False}},
            "baselines": {"methods": ["npo-klr"], "max_length": 64},
            "utility": {"path": None},
        },
    )
    return validate_config(config, sources=["config.yaml", "smoke.yaml", "gpu_check"])


class Steps:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.records: list[dict] = []

    def run(self, name: str, stage: str, args: list[str], params: dict, training: bool = False) -> None:
        import torch

        launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "1"]
        command = (launcher + ["-m"] if training else [sys.executable, "-m"]) + ["rulepipe.cli", stage]
        command += [*args, "--params", json.dumps(params)]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]))
        started = time.time()
        print(f"[gpu-check] {name}: {' '.join(command[:8])} ...", flush=True)
        with open(self.out / f"{name}.log", "w") as log:
            done = subprocess.run(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        record = {"step": name, "seconds": round(time.time() - started, 1), "ok": done.returncode == 0}
        self.records.append(record)
        print(f"[gpu-check] {name}: {'ok' if record['ok'] else 'FAILED'} in {record['seconds']} s", flush=True)
        if not record["ok"]:
            print((self.out / f"{name}.log").read_text()[-4000:], flush=True)
            self.finish(torch)
            raise SystemExit(1)

    def check(self, what: str, value, ok: bool) -> None:
        self.records.append({"check": what, "value": value, "ok": bool(ok)})
        print(f"[gpu-check] {'ok' if ok else 'FAILED'}: {what} = {value}", flush=True)

    def finish(self, torch) -> None:
        report = {
            "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
            "torch": torch.__version__,
            "records": self.records,
            "all_ok": all(r["ok"] for r in self.records),
        }
        (self.out / "gpu_check.json").write_text(json.dumps(report, indent=1))
        print(json.dumps(report, indent=1), flush=True)


def saved_dtype(model_dir: Path) -> str:
    from safetensors import safe_open

    with safe_open(str(model_dir / "model.safetensors"), "pt") as handle:
        return str(handle.get_tensor(next(iter(handle.keys()))).dtype)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true", help="CPU: skip the optimizer offload (a minutes-long build)")
    parser.add_argument("--utility-path", default=None, help="a directory of RWKU's utility files (a few items each)")
    args = parser.parse_args()
    import torch

    from rulepipe.data import fictional
    from rulepipe.data.prepare import prepare_benchmark
    from rulepipe.io import read_json, write_json
    from rulepipe.models.tiny import build_tiny_model

    gpu = torch.cuda.is_available()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    cfg = settings(gpu)
    steps = Steps(out)
    seed = ["--seed", "0"]
    t0 = time.time()
    bench = cfg["benchmark"] | {"retain_release_path": None}
    fic = bench["fictional"]
    (target_json,) = prepare_benchmark(bench, fictional.target_ids(fic["num_people"], fic["seed"])[:1], out / "data")
    learn_rows = read_json(out / "data" / "learn.json")
    corpus = [row.get("text") or f"{row['user']} {row['response']}" for row in learn_rows]
    build_tiny_model(out / "base", seed=0, vocab_size=1024, hidden_size=256, layers=4, heads=4, corpus=corpus)
    steps.check("prepare (world, model) seconds", round(time.time() - t0, 1), True)
    sections = {name: cfg[name] for name in ("learn", "training", "generation", "rule", "baselines", "evaluation")}
    sections |= {"utility": cfg["utility"], "mia": cfg["mia"]}

    steps.run(
        "learn",
        "learn",
        [
            "--model-dir",
            str(out / "base"),
            "--data",
            str(out / "data" / "learn.json"),
            "--out-dir",
            str(out / "original"),
        ]
        + seed,
        {k: sections[k] for k in ("learn", "training")},
        training=True,
    )
    log = read_json(out / "original" / "train_log.json")
    steps.check(
        "learn: saved dtype",
        saved_dtype(out / "original"),
        saved_dtype(out / "original") == ("torch.bfloat16" if gpu else "torch.float32"),
    )
    steps.check(
        "learn: loss first -> last",
        [round(log["history"][0]["loss"], 3), round(log["history"][-1]["loss"], 3)],
        log["history"][-1]["loss"] < log["history"][0]["loss"],
    )
    steps.check(
        "learn: ZeRO-3 partition",
        log["partition"],
        log["partition"]["resident_on_rank0"] <= log["partition"]["parameters"],
    )
    steps.check("learn: peak GPU memory GiB", log["peak_gpu_memory_gib"], True)

    target = read_json(target_json)
    rows = [
        {"prompt": q, "format": "qa", "solution": ["<reject>", f"I don't know {target['name']}.", target["name"]]}
        for q in target["forget_questions"][:8]
    ] + [
        {"prompt": p["query"], "format": "qa", "solution": ["<normal>", p["answer"]]}
        for p in target["neighbor_probes"][:8]
    ]
    write_json(out / "rl_data.json", rows)
    rule_params = {k: sections[k] for k in ("rule", "generation", "training")}
    steps.run(
        "rs_sample",
        "rs-sample",
        [
            "--model-dir",
            str(out / "original"),
            "--rl-data",
            str(out / "rl_data.json"),
            "--out",
            str(out / "rs_data.json"),
        ]
        + seed,
        rule_params,
    )
    steps.run(
        "warm_start",
        "warm-start",
        ["--model-dir", str(out / "original"), "--rs-data", str(out / "rs_data.json"), "--out-dir", str(out / "rs")]
        + seed,
        rule_params,
        training=True,
    )
    steps.run(
        "rebo_grpo",
        "rebo",
        ["--model-dir", str(out / "rs"), "--rl-data", str(out / "rl_data.json"), "--out-dir", str(out / "rule-grpo")]
        + ["--algorithm", "grpo"]
        + seed,
        rule_params,
        training=True,
    )
    history = read_json(out / "rule-grpo" / "train_log.json")["history"]
    steps.check("rebo: kl per step", [round(h["kl"], 5) for h in history], all(h["kl"] == h["kl"] for h in history))
    steps.check(
        "rebo: seconds generate / train per step",
        [[h["seconds_generate"], h["seconds_train"]] for h in history],
        True,
    )
    peak = read_json(out / "rule-grpo" / "train_log.json")["peak_gpu_memory_gib"]
    steps.check("rebo: peak GPU memory GiB (policy + reference + HF rollouts)", peak, True)
    steps.run(
        "unlearn_npo_klr",
        "unlearn",
        ["--model-dir", str(out / "original"), "--target", str(target_json), "--out-dir", str(out / "npo-klr")]
        + ["--baseline", "npo-klr"]
        + seed,
        {k: sections[k] for k in ("baselines", "generation", "training")},
        training=True,
    )
    for method, model in (("original", "original"), ("rule-grpo", "rule-grpo")):
        steps.run(
            f"evaluate_{method}",
            "evaluate",
            ["--model-dir", str(out / model), "--target", str(target_json), "--out", str(out / f"eval_{method}.json")]
            + ["--method", method]
            + seed,
            {k: sections[k] for k in ("generation", "evaluation")},
        )
    steps.run(
        "mia_original",
        "mia",
        ["--model-dir", str(out / "original"), "--target", str(target_json), "--out", str(out / "mia.json")]
        + ["--method", "original"],
        sections["mia"],
    )
    if args.utility_path:
        from rulepipe.stages.utility import prepare_utility

        prepare_utility(args.utility_path, str(out / "utility_sets.json"))
        steps.run(
            "utility_original",
            "utility",
            ["--model-dir", str(out / "original"), "--target", str(target_json), "--out", str(out / "utility.json")]
            + ["--method", "original", "--sets", str(out / "utility_sets.json")]
            + seed,
            {k: sections[k] for k in ("generation", "utility")},
        )
        utility = read_json(out / "utility.json")
        steps.check("utility: counts", utility["count"], sum(utility["count"].values()) > 0)
    mia = read_json(out / "mia.json")
    steps.check(
        "mia: forget / retain loss (bf16 on GPU)", [mia["forget_loss"], mia["retain_loss"]], mia["forget_loss"] > 0
    )
    if not args.quick:
        offload = sections["training"] | {"offload_optimizer": True}
        steps.run(
            "learn_offload_optimizer",
            "learn",
            [
                "--model-dir",
                str(out / "base"),
                "--data",
                str(out / "data" / "learn.json"),
                "--out-dir",
                str(out / "off"),
            ]
            + seed,
            {"learn": sections["learn"] | {"epochs": 1}, "training": offload},
            training=True,
        )
    steps.check("total seconds", round(time.time() - t0, 1), True)
    steps.finish(torch)
    if not all(r["ok"] for r in steps.records):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
