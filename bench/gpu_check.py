"""The GPU path in one run (about 90 s on 2 CPU cores with --quick; sized for the device tool's 8 minutes).

    python bench/gpu_check.py --out DIR            # on a GPU machine (bench/gpu_check.sh there)
    python bench/gpu_check.py --out DIR --quick    # the same chain on CPU (tests/test_gpu_check.py)

Every stage runs through the CLI the DAG calls, training ones through torchrun, on a small
random Llama (the smoke world, no download), with the preset's settings turned to the paper's
machinery: DeepSpeed ZeRO-3 with every parameter partitioned, bf16 and gradient checkpointing
on the GPU, NCCL; the rejection-sampling and ReBO rollouts through HF `generate` on the device
(vLLM is not carried), ReBO's KL reference partitioned on the device beside the policy, NPO+KLR's
reference likewise; probes, MIA scoring and utility in bf16 on the device; and, last, ZeRO-3
with the optimizer offloaded to DeepSpeed's CPU Adam. The scale section repeats learn and ReBO PPO
on a ~1 B model built from a config (the critic offloaded on a GPU) and sets each peak beside
docs/compute-plan.md's formula, with tokens per second. Each step's seconds, peak GPU memory,
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
SMALL = {"hidden_size": 256, "layers": 4, "heads": 4}  # the chain's random Llama
sys.path.insert(0, str(REPO / "src"))


def settings(gpu: bool) -> dict:
    """config.yaml + the smoke preset + the paper's machinery, validated like the DAG's."""
    from rulepipe.config import layered, validate_config

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config = layered(config, yaml.safe_load((REPO / "workflow" / "presets" / "smoke.yaml").read_text()))
    config = layered(
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
    """Runs stages as the DAG does (training ones through torchrun) and records each result."""

    def __init__(self, out: Path, cfg: dict) -> None:
        self.out = out
        self.cfg = cfg
        self.records: list[dict] = []

    def run(self, name: str, stage: str, inputs: dict, outputs: dict, torchrun=False, override=None, **wildcards):
        """Rule `stage` as the DAG runs it: its config keys (rulepipe.stages.STAGES) and wildcards;
        `override`: section -> values replaced for this run."""
        from rulepipe.stages import STAGES, config_slice, contract_args

        cfg = self.cfg | {key: self.cfg[key] | values for key, values in (override or {}).items()}
        args = contract_args(inputs, outputs, config_slice(cfg, STAGES[stage]) | wildcards, seed=0)
        launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "1"]
        command = (launcher + ["-m"] if torchrun else [sys.executable, "-m"]) + ["rulepipe.cli", stage, *args]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]))
        started = time.time()
        with open(self.out / f"{name}.log", "w") as log:
            done = subprocess.run(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        record = {"step": name, "seconds": round(time.time() - started, 1), "ok": done.returncode == 0}
        self.records.append(record)
        print(f"[gpu-check] {name}: {'ok' if record['ok'] else 'FAILED'} in {record['seconds']} s", flush=True)
        if not record["ok"]:
            print((self.out / f"{name}.log").read_text()[-4000:], flush=True)
            self.finish()
            raise SystemExit(1)

    def check(self, what: str, value, ok: bool = True) -> None:
        self.records.append({"check": what, "value": value, "ok": bool(ok)})
        print(f"[gpu-check] {'ok' if ok else 'FAILED'}: {what} = {value}", flush=True)

    def finish(self) -> bool:
        import torch

        report = {
            "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
            "torch": torch.__version__,
            "records": self.records,
            "all_ok": all(r["ok"] for r in self.records),
        }
        (self.out / "gpu_check.json").write_text(json.dumps(report, indent=1))
        print(json.dumps(report, indent=1), flush=True)
        return report["all_ok"]


def saved_dtype(model_dir: Path) -> str:
    from safetensors import safe_open

    with safe_open(str(model_dir / "model.safetensors"), "pt") as handle:
        return str(handle.get_tensor(next(iter(handle.keys()))).dtype)


def learn_corpus(out: Path) -> list[str]:
    """The world's learn texts: what the test models' tokenizers are trained on."""
    from rulepipe.io import read_json

    return [row.get("text") or f"{row['user']} {row['response']}" for row in read_json(out / "data" / "learn.json")]


def prepare(out: Path, cfg: dict) -> Path:
    """The smoke world's first target and a small random Llama with a tokenizer trained on it."""
    from rulepipe.data import fictional
    from rulepipe.data.prepare import prepare_benchmark
    from rulepipe.io import read_json, write_json
    from rulepipe.models.tiny import build_tiny_model

    bench = cfg["benchmark"] | {"retain_release_path": None}
    fic = bench["fictional"]
    (target_json,) = prepare_benchmark(bench, fictional.target_ids(fic["num_people"], fic["seed"])[:1], out / "data")
    build_tiny_model(out / "base", seed=0, vocab_size=1024, corpus=learn_corpus(out), **SMALL)
    target = read_json(target_json)
    name = target["name"]
    rows = [
        {"prompt": q, "format": "qa", "solution": ["<reject>", f"I don't know {name}.", name]}
        for q in target["forget_questions"][:8]
    ]
    rows += [
        {"prompt": p["query"], "format": "qa", "solution": ["<normal>", p["answer"]]}
        for p in target["neighbor_probes"][:8]
    ]
    write_json(out / "rl_data.json", rows)
    return target_json


def train_chain(steps: Steps, out: Path, target: Path, gpu: bool) -> None:
    """learn -> rs_sample -> warm_start -> ReBO (GRPO), and NPO+KLR from the learned model."""
    from rulepipe.io import read_json

    base = {"model": out / "base", "data": out / "data" / "learn.json"}
    steps.run("learn", "learn", base, {"model": out / "original"}, torchrun=True)
    log = read_json(out / "original" / "train_log.json")
    dtype = saved_dtype(out / "original")
    steps.check("learn: saved dtype", dtype, dtype == ("torch.bfloat16" if gpu else "torch.float32"))
    losses = [round(log["history"][0]["loss"], 3), round(log["history"][-1]["loss"], 3)]
    steps.check("learn: loss first -> last", losses, losses[1] < losses[0])
    steps.check("learn: ZeRO-3 partition", log["partition"])
    steps.check("learn: peak GPU memory GiB", read_json(out / "original" / "resources.json")["peak_gpu_memory_gib"])
    rl_data = {"rl_data": out / "rl_data.json"}
    original = {"model": out / "original", "target": target}
    rs_data = {"rs_data": out / "rs_data.json"}
    steps.run("rs_sample", "rs_sample", original | rl_data, rs_data)
    steps.run("warm_start", "warm_start", original | rs_data, {"model": out / "rs"}, torchrun=True)
    rs = {"model": out / "rs", "target": target} | rl_data
    curve = {"checkpoints": out / "rule-grpo.checkpoints.json"}
    steps.run("rebo_grpo", "rebo", rs, {"model": out / "rule-grpo"} | curve, torchrun=True, algorithm="grpo")
    evaluated = [e["step"] for e in read_json(curve["checkpoints"])["evaluations"]]
    steps.check("rebo: in-loop evaluations at steps (smoke's eval_every 1 of 3)", evaluated, evaluated == [1, 2])
    log = read_json(out / "rule-grpo" / "train_log.json")
    kl = [round(h["kl"], 5) for h in log["history"]]
    steps.check("rebo: kl per step (reference on the device)", kl, all(k == k for k in kl))
    resources = read_json(out / "rule-grpo" / "resources.json")
    steps.check(
        "rebo: seconds generate / train per step", [[t["generate"], t["train"]] for t in resources["seconds_per_step"]]
    )
    steps.check("rebo: peak GPU memory GiB (policy + reference + HF rollouts)", resources["peak_gpu_memory_gib"])
    curve = {"checkpoints": out / "rule-ppo.checkpoints.json"}
    steps.run("rebo_ppo", "rebo", rs, {"model": out / "rule-ppo"} | curve, torchrun=True, algorithm="ppo")
    log = read_json(out / "rule-ppo" / "train_log.json")
    losses = [round(h["value_loss"], 5) for h in log["history"]]
    steps.check("rebo ppo: critic value loss per step", losses, all(v == v and v > 0 for v in losses))
    peak = read_json(out / "rule-ppo" / "resources.json")["peak_gpu_memory_gib"]
    steps.check("rebo ppo: peak GPU memory GiB (policy + critic + reference)", peak)
    curve = {"checkpoints": out / "npo-klr.checkpoints.json"}
    steps.run("unlearn_npo_klr", "unlearn", original, {"model": out / "npo-klr"} | curve, torchrun=True, run="npo-klr")


def score(steps: Steps, out: Path, target: Path, utility_path: str | None) -> None:
    """Probes (HF generation), utility and MIA (the bf16 scorer) on the device."""
    from rulepipe.io import read_json

    sets, utility = {}, {}
    if utility_path:
        from rulepipe.stages.prepare_utility import prepare_utility

        prepare_utility(utility_path, str(out / "utility_sets.json"))
        sets, utility = {"sets": [out / "utility_sets.json"]}, {"utility": out / "utility.json"}
    for method, inputs, outputs in (("original", sets, utility), ("rule-grpo", {}, {})):  # utility: the original's
        inputs = {"model": out / method, "target": target} | inputs
        outputs = {"eval": out / f"eval_{method}.json", "mia": out / f"mia_{method}.json"} | outputs
        steps.run(f"score_{method}", "score", inputs, outputs, method=method)
    if utility_path:
        counts = read_json(out / "utility.json")["count"]
        steps.check("utility: items scored", counts, sum(counts.values()) > 0)
    mia = read_json(out / "mia_original.json")
    steps.check("mia: forget / retain loss", [mia["forget_loss"], mia["retain_loss"]], mia["forget_loss"] > 0)


SCALE = {"hidden_size": 2304, "layers": 20, "heads": 18}  # ~1.06 B parameters (head dim 128, MLP 2 x hidden)


def plan_peaks(parameters: float) -> dict[str, float]:
    """docs/compute-plan.md's formula on one process, GiB: ZeRO-3 training state 16 B/param
    (bf16 weights and gradients, fp32 master and Adam moments), a bf16 reference 2 B/param; the
    offloaded critic holds only its working set. Activations and logits come on top."""
    gib = parameters / 2**30
    return {"learn": 16 * gib, "rebo_ppo": (16 + 2) * gib}


def scale_check(steps: Steps, out: Path, target: Path, gpu: bool) -> None:
    """A ~1 B model from a config (random weights, no download): learn under ZeRO-3 with gradient
    checkpointing in bf16, then ReBO PPO with the KL reference on the device and the critic
    offloaded (`critic_offload: all`); each peak against `plan_peaks`, and tokens per second of
    training and of HF generation."""
    from rulepipe.io import read_json
    from rulepipe.models.tiny import build_tiny_model

    size = SCALE if gpu else SMALL  # on CPU the scale section runs at the chain's own size
    build_tiny_model(out / "scale", seed=0, vocab_size=1024, corpus=learn_corpus(out), initializer_range=0.02, **size)
    inputs = {"model": out / "scale", "data": out / "data" / "learn.json"}
    steps.run(
        "scale_learn",
        "learn",
        inputs,
        {"model": out / "scale_learned"},
        torchrun=True,
        override={"learn": {"epochs": 1}},
    )
    learned = read_json(out / "scale_learned" / "resources.json")
    log = read_json(out / "scale_learned" / "train_log.json")
    parameters = log["partition"]["parameters"]  # the engine's own count
    steps.check("scale: parameters (B)", round(parameters / 1e9, 3))
    plan = plan_peaks(parameters)
    steps.check(
        "scale learn: peak GPU GiB / plan's training state GiB",
        [learned["peak_gpu_memory_gib"], round(plan["learn"], 2)],
    )
    steps.check(
        "scale learn: optimizer steps per second",
        round(log["steps"] / max(learned["seconds_after_resume"], 1e-9), 3),
    )
    offload = "all" if gpu else "none"  # on CPU the offload's CPU Adam would be JIT-built (minutes)
    rebo = {"steps": 2, "critic_offload": offload, "eval_every": 0}
    rs = {"model": out / "scale_learned", "target": target, "rl_data": out / "rl_data.json"}
    outputs = {"model": out / "scale_ppo", "checkpoints": out / "scale_ppo.checkpoints.json"}
    override = {"rule": {**steps.cfg["rule"], "rebo": steps.cfg["rule"]["rebo"] | rebo}}
    steps.run("scale_rebo_ppo", "rebo", rs, outputs, torchrun=True, override=override, algorithm="ppo")
    resources = read_json(out / "scale_ppo" / "resources.json")
    history = read_json(out / "scale_ppo" / "train_log.json")["history"]
    cfg = steps.cfg["rule"]["rebo"]
    sequences = cfg["prompts_per_step"] * cfg["rollouts"]
    timing = resources["seconds_per_step"]
    generated = [h["response_tokens"] * sequences / max(t["generate"], 1e-9) for h, t in zip(history, timing)]
    trained = [h["response_tokens"] * sequences / max(t["train"], 1e-9) for h, t in zip(history, timing)]
    steps.check(
        f"scale ppo (critic_offload {offload}): peak GPU GiB / plan's policy + reference GiB",
        [resources["peak_gpu_memory_gib"], round(plan["rebo_ppo"], 2)],
    )
    steps.check("scale ppo: HF generation, response tokens per second per step", [round(g, 1) for g in generated])
    steps.check(
        "scale ppo: update (policy + critic), response tokens per second per step", [round(t, 1) for t in trained]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true", help="CPU: skip the optimizer offload (a minutes-long build)")
    parser.add_argument("--utility-path", default=None, help="a directory of RWKU's utility files (a few items each)")
    args = parser.parse_args()
    import torch

    gpu = torch.cuda.is_available()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    cfg = settings(gpu)
    steps = Steps(out, cfg)
    started = time.time()
    target = prepare(out, cfg)
    steps.check("prepare (world, model) seconds", round(time.time() - started, 1))
    train_chain(steps, out, target, gpu)
    score(steps, out, target, args.utility_path)
    scale_check(steps, out, target, gpu)
    if not args.quick:
        steps.run(
            "learn_offload_optimizer",
            "learn",
            {"model": out / "base", "data": out / "data" / "learn.json"},
            {"model": out / "offload"},
            torchrun=True,
            override={"learn": {"epochs": 1}, "training": {"offload_optimizer": True}},
        )
    steps.check("total seconds", round(time.time() - started, 1))
    if not steps.finish():
        raise SystemExit(1)


if __name__ == "__main__":
    main()
