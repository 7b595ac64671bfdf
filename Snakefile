# RULE pipeline. The default (config.yaml) runs on a 2-core CPU with SmolLM2 and the
# fictional world; presets in workflow/presets/ switch benchmark, model and scale:
#   snakemake --cores all
#   snakemake --cores all --configfile workflow/presets/smoke.yaml
import sys
from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")

configfile: "config.yaml"

sys.path.insert(0, str(Path(workflow.basedir) / "src"))
from rulepipe.config import ConfigError, baseline_runs, neighbor_pool, resolve_targets, validate_config  # noqa: E402
from rulepipe.data.prepare import learns  # noqa: E402
from rulepipe import methods as registry  # noqa: E402 (what a method is: rulepipe/methods.py)
from rulepipe.stages import STAGES, config_slice  # noqa: E402 (what each stage reads: rulepipe/stages)

try:
    _settings = workflow.config_settings
    _sources = ["config.yaml"] + [str(f) for f in _settings.configfiles if Path(f).name != "config.yaml"]
    _sources += ["--config"] if _settings.config_args else []
    _validated = validate_config(config, sources=_sources)
    config.clear()
    config.update(_validated)
    if config["repeat"]["seeds"]:
        raise ConfigError(
            f"repeat.seeds: {config['repeat']['seeds']} asks for one run per seed: start it with "
            "python -m rulepipe.repeat --configfile <the same files> (it runs Snakemake once per seed)"
        )
    TARGETS = resolve_targets(config)
    NEIGHBOR_POOL = neighbor_pool(config)  # RWKU: comparable entities with passages, for RULE's boundary set
except ConfigError as err:
    sys.stderr.write(f"\nConfiguration error: {err}\n\n")
    sys.exit(1)

include: "workflow/rules/common.smk"
include: "workflow/rules/benchmark.smk"
include: "workflow/rules/model.smk"
include: "workflow/rules/learn.smk"
include: "workflow/rules/rule.smk"
include: "workflow/rules/baselines.smk"
include: "workflow/rules/score.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/muse.smk"

# On a cluster these run where Snakemake runs: downloads (the hub) and small report steps.
localrules: prepare_benchmark, prepare_model, summarize, table, tradeoff, rebo_curves, muse_table


rule all:
    input:
        SUMMARY,
        rules.table.output,
        rules.tradeoff.output,
        expand(f"{R}/{BENCH}/{MODEL}/rule/{{target}}/rebo_curves.png", target=TARGETS),
        rules.muse_table.output if config["benchmark"]["kind"] == "muse" else [],
    default_target: True
