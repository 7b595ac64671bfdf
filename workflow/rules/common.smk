# Paths and helpers shared by every rule. Results layout:
#   {results}/data/{benchmark}/{target}/target.json        prepared benchmark
#   {results}/models/{model}/base/                          prepared base model
#   {results}/{benchmark}/{model}/original/model/           learned model (where benchmark.learn)
#   {results}/{benchmark}/{model}/{method}/{target}/eval.json
#   {results}/summary.csv, {results}/logs/..., {results}/benchmarks/... (rule timings)
import json
import shlex

R = config["results"]
BENCH = config["benchmark"]["name"]
MODEL = config["model"]["name"]
# Rules run the interpreter that runs Snakemake (the project's venv) without naming its path,
# so moving or re-creating the venv does not change any rule's parameters.
shell.prefix(f"set -euo pipefail; export PATH={shlex.quote(str(Path(sys.executable).parent))}:$PATH; ")
FICTIONAL = config["benchmark"]["source"] == "generate"
LEARNS = learns(config["benchmark"])  # the original model is learned first (fictional world, MUSE stand-in)
ALGORITHMS = config["rule"]["rebo"]["algorithms"]
RULE_METHODS = ["rs"] + [f"rule-{a}" for a in ALGORITHMS]
BASELINE_RUNS = baseline_runs(config)  # run name -> (method, learning rate); sweep points included
BASELINES = list(config["baselines"]["methods"])  # the table's baseline rows
TRAINED_BASELINE_RUNS = [run for run, (method, _) in BASELINE_RUNS.items() if registry.METHODS[method].trained_baseline]
TABLE_METHODS = (["base", "original"] if LEARNS else ["original"]) + RULE_METHODS + BASELINES
METHODS = TABLE_METHODS + [run for run in BASELINE_RUNS if run not in BASELINES]
CURVE_RUNS = [f"rule-{a}" for a in ALGORITHMS] + TRAINED_BASELINE_RUNS  # evaluated along training (checkpoints.json)
DATA = f"{R}/data/{BENCH}"
BASE_MODEL = f"{R}/models/{MODEL}/base"
ORIGINAL_MODEL = f"{R}/{BENCH}/{MODEL}/original/model" if LEARNS else BASE_MODEL
UTILITY_ON = any(limit != 0 for limit in config["utility"]["limits"].values())  # all 0: the utility rule is off
UTILITY_SETS = f"{DATA}/utility_sets.json" if config["utility"]["path"] and UTILITY_ON else None
SUMMARY = f"{R}/summary.csv"
PROBE_SCORES = f"{R}/probe_scores.csv"
REPORT = f"{R}/report"

wildcard_constraints:
    target="|".join(TARGETS),
    method="[a-z0-9-]+",


def model_dir(method, target):
    """Where a method's model lives (the registry's `model`): the shared base or original model
    (ICU prompts the original), or per target for the trained ones."""
    shared = {"base": BASE_MODEL, "original": ORIGINAL_MODEL}
    return shared.get(registry.method_of(method).model, f"{R}/{BENCH}/{MODEL}/{method}/{target}/model")


def named_model(choice):
    """`base` / `original` / a local HF directory, as the synthesizer and the judge are configured."""
    return {"base": BASE_MODEL, "original": ORIGINAL_MODEL}.get(choice, choice)


def synthesizer_dir():
    return named_model(config["rule"]["synthesis"]["model"])


def judge_dir():
    judge = config["naturalness"]["judge"]
    return [named_model(judge["model"])] if judge["kind"] in ("local", "likelihood") else []


GPU_RUN = config["resources"]["gpu"]


def gpus(stage):
    """GPUs a job takes: a training stage's processes, a model-running stage's engine; 0 on CPU."""
    launch = STAGES[stage].launch
    if not GPU_RUN or launch == "cpu":
        return 0
    return config["training"]["num_processes"] if launch == "training" else config["generation"]["tensor_parallel_size"]


def job_threads(stage):
    """CPU: every core to one heavy job at a time, or the stage's `cpu_threads` (the scoring
    jobs: one each, side by side). GPU: a few cores per GPU, so that jobs on different GPUs run
    side by side (`--resources gpu=N` caps them)."""
    if GPU_RUN:
        return config["resources"]["cpus_per_gpu"] * max(1, gpus(stage))
    return min(STAGES[stage].cpu_threads or workflow.cores, workflow.cores)


def launcher(stage):
    """`python -m rulepipe.cli`, through torchrun for a training stage of several processes
    (one per GPU, a free rendezvous port per job); on GPUs a model-running job first locks GPUs
    of its own (`rulepipe.gpus`), as many as its `gpu` resource says."""
    n = config["training"]["num_processes"]
    if STAGES[stage].launch == "training" and n > 1:
        command = f"python -m torch.distributed.run --standalone --nproc_per_node {n} -m rulepipe.cli"
    else:
        command = "python -m rulepipe.cli"
    return f"python -m rulepipe.gpus {gpus(stage)} {command}" if gpus(stage) else command


def _named(files, skip=()):
    return {name: value if isinstance(value, str) else list(value) for name, value in files.items() if name not in skip}


def settings(name, **derived):
    """Rule `name`'s `settings` param: the config keys its stage declares (STAGES), `derived`
    values and the wildcards, as JSON. A function of the wildcards alone: Snakemake compares
    such params with the last run's (its `params` rerun trigger; it skips functions of input or
    output), so a changed key reruns exactly the stages that read it. A function also keeps
    Snakemake from reading `{...}` inside config strings as a wildcard."""
    fixed = config_slice(config, STAGES[name]) | derived
    return lambda wildcards: json.dumps(fixed | dict(wildcards.items()))


def command(name):
    """Rule `name`'s `command` param: the launcher and the stage's named inputs and outputs;
    RUN_STAGE adds the settings and the seed. Inputs a stage finds by location are left out."""
    head, skip = f"{launcher(name)} {name}", STAGES[name].found_beside

    def text(wildcards, input, output):
        files = {"inputs": _named(input, skip), "outputs": _named(output)}
        return f"{head} " + " ".join(f"--{key} {shlex.quote(json.dumps(value))}" for key, value in files.items())

    return text


# Every rule's shell: the stage's command, its settings and the seed, its thread count pinned,
# its console kept in the log. Every value is quoted (`:q`, or shlex in `command`): a path or a
# config string with `;`, `$( )`, a space or a quote reaches the stage as text, never as shell.
RUN_STAGE = (
    "OMP_NUM_THREADS={threads:q} {params.command} --params {params.settings:q} --seed {config[seed]:q} 2>&1"
    " | tee {log:q}"
)
