# MUSE's own metrics, for benchmark.kind muse: every table method on VerbMem, KnowMem and
# PrivLeak, then MUSE's table.


rule muse_eval:
    """VerbMem, KnowMem (forget / retain) and PrivLeak for one model on the MUSE corpus."""
    input:
        model=lambda wildcards: model_dir(wildcards.method, wildcards.target),
        target=f"{DATA}/{{target}}/target.json",
    output:
        f"{R}/{BENCH}/{MODEL}/{{method}}/{{target}}/muse.json",
    params:
        cli=gpu_cli("muse-eval"),
        muse=sections("generation", "benchmark", "mia"),
        seed=config["seed"],
    log:
        f"{R}/logs/{BENCH}/{MODEL}/{{method}}/{{target}}/muse_eval.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/{{method}}/{{target}}/muse_eval.tsv"
    threads: job_threads()
    resources:
        gpu=gpus(),
    shell:
        "{params.cli} --model-dir {input.model} --target {input.target} --out {output} "
        "--method {wildcards.method} --params {params.muse:q} --seed {params.seed} 2>&1 | tee {log}"


rule muse_table:
    """MUSE's table: VerbMem, KnowMem on D_f / D_r, PrivLeak, one row per method."""
    input:
        expand(f"{R}/{BENCH}/{MODEL}/{{method}}/{{target}}/muse.json", method=TABLE_METHODS, target=TARGETS),
    output:
        csv=report(f"{REPORT}/muse.csv", caption="../report/muse.rst", category="Tables"),
        md=f"{REPORT}/muse.md",
    params:
        cli=cli("muse-table"),
        methods=[method for method in TABLE_METHODS for _ in TARGETS],
        out_dir=REPORT,
    log:
        f"{R}/logs/report/muse_table.log",
    shell:
        "{params.cli} --records {input} --methods {params.methods} --out-dir {params.out_dir} 2>&1 | tee {log}"
