"""Pipeline stages, one module per Snakemake rule: rule X runs `rulepipe.stages.X.run(inputs,
outputs, params, seed)` through `python -m rulepipe.cli X` (the dispatcher).

The contract: `inputs` and `outputs` are the rule's named paths (a path, or a list of paths),
`params` holds the config keys of the stage's entry in STAGES, nested as in the config, plus
the rule's wildcards and any values the workflow derives (a table's method list), and `seed`
is the config's seed. STAGES is the one home of what a stage reads and how it is launched: the
rules pass exactly those keys, so a change to, say, `generation.batch_size` reruns only the
stages that generate.

This module imports nothing heavy: the Snakefile reads STAGES while it builds the DAG.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Stage:
    keys: tuple[str, ...] = ()  # config keys that reach params; dotted = one key of a section
    launch: str = "model"  # cpu: plain Python | model: runs a model (a GPU on GPU runs) | training: DeepSpeed
    drop: tuple[str, ...] = ()  # keys inside `keys` that the stage does not read
    found_beside: tuple[str, ...] = ()  # inputs the stage finds by location, not passed (a command stays short)
    cpu_threads: int | None = None  # CPU runs: threads per job; None = every core, one job at a time


# The per-model scoring jobs get one thread each on a CPU, so that Snakemake runs as many side by
# side as there are cores: their time is mostly start-up (imports, engine) and small batches.
# Two 1-thread probe-scoring jobs side by side took 30.1 s against 43.3 s for the two one after
# the other on 2 threads (2 free cores, SmolLM2-135M), with the same scores.
SCORING = 1
# The baselines' training jobs too (3.5-4.2 GB each on the default; ReBO's, at 10-13 GB, keep
# every core): their start-up (imports, engine, load, save) is about half of a 35 s job, and two
# 1-thread training steps side by side took 7.0 s against 7.6 s one after the other on 2 threads.
UNLEARN = 1


STAGES = {
    "prepare_benchmark": Stage(("benchmark",), "cpu"),
    "prepare_utility": Stage(("utility.path",), "cpu"),
    "prepare_model": Stage(("model",), "cpu"),
    "learn": Stage(("learn", "training"), "training"),
    "original_answers": Stage(("generation", "baselines.answer_max_new_tokens")),
    "unlearn": Stage(
        ("baselines", "training", "evaluation.max_new_tokens", "generation.batch_size"), "training", cpu_threads=UNLEARN
    ),
    "score": Stage(("generation", "evaluation", "utility", "mia"), cpu_threads=SCORING),
    "muse_eval": Stage(("generation", "benchmark.muse", "mia"), cpu_threads=SCORING),
    "muse_table": Stage((), "cpu"),
    "rule_data": Stage(("rule.budget", "rule.synthesis", "generation")),
    "rs_sample": Stage(("rule.warm_start", "rule.reward", "rule.prompt_format", "generation")),
    "warm_start": Stage(("rule.warm_start", "rule.prompt_format", "training"), "training"),
    "rebo": Stage(
        ("rule.rebo", "rule.reward", "rule.prompt_format", "generation", "training", "evaluation.max_new_tokens"),
        "training",
        drop=("rule.rebo.algorithms",),  # one run is one algorithm (a wildcard): adding one reruns no other
    ),
    "rebo_curves": Stage((), "cpu"),
    "naturalness": Stage(("naturalness", "generation")),
    "summarize": Stage((), "cpu", found_beside=("per_method", "rs_data", "checkpoints")),
    "table": Stage(("benchmark.name", "model.name", "evaluation.protocols"), "cpu"),
    "tradeoff": Stage(("benchmark.name", "model.name", "evaluation.protocols"), "cpu"),
}


def config_slice(config: dict[str, Any], stage: Stage) -> dict[str, Any]:
    """The part of `config` that a stage reads, nested as in the config: keys ("rule.reward",
    "mia") -> {"rule": {"reward": ...}, "mia": ...}; copies, less the stage's `drop` keys."""
    out: dict[str, Any] = {}
    for key in stage.keys:
        *path, last = key.split(".")
        source, target = config, out
        for part in path:
            source, target = source[part], target.setdefault(part, {})
        target[last] = copy.deepcopy(source[last])
    for key in stage.drop:
        *path, last = key.split(".")
        section = out
        for part in path:
            section = section[part]
        del section[last]
    return out


def optional(files: dict[str, Any], name: str) -> str | None:
    """The path of an optional input: rules declare one as a list, empty where it is absent."""
    value = files.get(name) or []
    return value if isinstance(value, str) else (value[0] if value else None)


def contract_args(inputs: dict[str, Any], outputs: dict[str, Any], params: dict[str, Any], seed: int) -> list[str]:
    """The dispatcher's arguments for one run of a stage: `python -m rulepipe.cli STAGE *args`."""
    contract = {"inputs": inputs, "outputs": outputs, "params": params}
    args = [item for key, value in contract.items() for item in (f"--{key}", json.dumps(value, default=str))]
    return args + ["--seed", str(seed)]
