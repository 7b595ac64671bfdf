# MUSE's own metrics, for benchmark.kind muse: every table method on VerbMem, KnowMem and
# PrivLeak, then MUSE's table.


rule muse_eval:
    """VerbMem, KnowMem (forget / retain) and PrivLeak for one model on the MUSE corpus."""
    input:
        model=lambda wildcards: model_dir(wildcards.method, wildcards.target),
        target=f"{DATA}/{{target}}/target.json",
    output:
        muse=f"{R}/{BENCH}/{MODEL}/{{method}}/{{target}}/muse.json",
    params:
        command=command("muse_eval"),
        settings=settings("muse_eval"),
    log:
        f"{R}/logs/{BENCH}/{MODEL}/{{method}}/{{target}}/muse_eval.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/{{method}}/{{target}}/muse_eval.tsv"
    threads: job_threads("muse_eval")
    resources:
        gpu=gpus("muse_eval"),
    shell:
        RUN_STAGE


rule muse_table:
    """MUSE's table: VerbMem, KnowMem on D_f / D_r, PrivLeak, one row per method."""
    input:
        records=expand(f"{R}/{BENCH}/{MODEL}/{{method}}/{{target}}/muse.json", method=TABLE_METHODS, target=TARGETS),
    output:
        csv=report(f"{REPORT}/muse.csv", caption="../report/muse.rst", category="Tables"),
        md=f"{REPORT}/muse.md",
    params:
        command=command("muse_table"),
        settings=settings("muse_table", methods=[method for method in TABLE_METHODS for _ in TARGETS]),
    log:
        f"{R}/logs/report/muse_table.log",
    shell:
        RUN_STAGE
