rule naturalness:
    """Every table method's responses to one target's forget probes: proxies + one judge, loaded once."""
    input:
        evals=expand(f"{R}/{BENCH}/{MODEL}/{{method}}/{{{{target}}}}/eval.json", method=TABLE_METHODS),
        judge=judge_dir(),
    output:
        naturalness=expand(f"{R}/{BENCH}/{MODEL}/{{method}}/{{{{target}}}}/naturalness.json", method=TABLE_METHODS),
    params:
        command=command("naturalness"),
        settings=settings("naturalness"),
    log:
        f"{R}/logs/{BENCH}/{MODEL}/naturalness/{{target}}.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/naturalness/{{target}}.tsv"
    threads: job_threads("naturalness")
    resources:
        gpu=gpus("naturalness"),
    shell:
        RUN_STAGE


rule summarize:
    """Every evaluated row of this run -> results/summary.csv. Besides each eval.json it reads the
    files other stages leave (naturalness, MIA, utility, ReBO's in-loop checkpoint evaluations) and
    RULE's token shares (rs_data.json); their 95% intervals; every scored probe (probe_scores.csv)."""
    input:
        evals=expand(f"{R}/{BENCH}/{MODEL}/{{method}}/{{target}}/eval.json", method=METHODS, target=TARGETS),
        per_method=expand(
            f"{R}/{BENCH}/{MODEL}/{{method}}/{{target}}/{{kind}}.json",
            method=TABLE_METHODS,
            target=TARGETS,
            kind=["naturalness", "mia"] + (["utility"] if UTILITY_ON else []),
        ),
        rs_data=expand(f"{R}/{BENCH}/{MODEL}/rs/{{target}}/rs_data.json", target=TARGETS),
        checkpoints=expand(f"{R}/{BENCH}/{MODEL}/{{method}}/{{target}}/checkpoints.json", method=CURVE_RUNS, target=TARGETS),
    output:
        summary=SUMMARY,
        scores=PROBE_SCORES,
    params:
        command=command("summarize"),
        settings=settings("summarize"),
    log:
        f"{R}/logs/summarize.log",
    shell:
        RUN_STAGE


rule table:
    """The paper's table: one row per method, averaged over targets (+ the per-target breakdown)."""
    input:
        summary=SUMMARY,
        scores=PROBE_SCORES,
    output:
        csv=report(f"{REPORT}/table.csv", caption="../report/table.rst", category="Tables"),
        md=f"{REPORT}/table.md",
        tex=f"{REPORT}/table.tex",
        by_target=f"{REPORT}/table_by_target.csv",
        utility=f"{REPORT}/utility.md",
    params:
        command=command("table"),
        settings=settings("table", methods=TABLE_METHODS),
    log:
        f"{R}/logs/report/table.log",
    shell:
        RUN_STAGE


rule tradeoff:
    """Retain against 1 - forget for every run, Pareto fronts, areas above retain thresholds."""
    input:
        summary=SUMMARY,
        scores=PROBE_SCORES,
    output:
        png=report(f"{REPORT}/tradeoff.png", caption="../report/tradeoff.rst", category="Figures"),
        areas=f"{REPORT}/tradeoff_area.csv",
        points=f"{REPORT}/tradeoff_points.csv",
        words=f"{REPORT}/tradeoff_area.md",
    params:
        command=command("tradeoff"),
        settings=settings("tradeoff"),
    log:
        f"{R}/logs/report/tradeoff.log",
    shell:
        RUN_STAGE
