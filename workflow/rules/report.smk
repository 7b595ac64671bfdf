rule naturalness:
    """Every table method's responses to one target's forget probes: proxies + one judge, loaded once."""
    input:
        evals=expand(f"{R}/{BENCH}/{MODEL}/{{method}}/{{{{target}}}}/eval.json", method=TABLE_METHODS),
        judge=judge_dir(),
    output:
        expand(f"{R}/{BENCH}/{MODEL}/{{method}}/{{{{target}}}}/naturalness.json", method=TABLE_METHODS),
    params:
        cli=gpu_cli("naturalness"),
        naturalness=sections("naturalness", "generation"),
        judge=lambda wildcards, input: f"--judge-dir {input.judge[0]}" if input.judge else "",
        seed=config["seed"],
    log:
        f"{R}/logs/{BENCH}/{MODEL}/naturalness/{{target}}.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/naturalness/{{target}}.tsv"
    threads: job_threads()
    resources:
        gpu=gpus(),
    shell:
        "{params.cli} --evals {input.evals} --outs {output} {params.judge} "
        "--params {params.naturalness:q} --seed {params.seed} 2>&1 | tee {log}"


rule summarize:
    """Every evaluated row (this run's and earlier runs' under results/) -> results/summary.csv."""
    input:
        evals=expand(f"{R}/{BENCH}/{MODEL}/{{method}}/{{target}}/eval.json", method=METHODS, target=TARGETS),
        per_method=expand(
            f"{R}/{BENCH}/{MODEL}/{{method}}/{{target}}/{{kind}}.json",
            method=TABLE_METHODS,
            target=TARGETS,
            kind=["naturalness", "mia"] + (["utility"] if UTILITY_ON else []),
        ),
    output:
        SUMMARY,
    params:
        cli=cli("summarize"),
        root=R,
    log:
        f"{R}/logs/summarize.log",
    shell:
        "{params.cli} --evals {input.evals} --scan {params.root} --out {output} 2>&1 | tee {log}"


rule table:
    """The paper's table: one row per method, averaged over targets (+ the per-target breakdown)."""
    input:
        SUMMARY,
    output:
        csv=report(f"{REPORT}/table.csv", caption="../report/table.rst", category="Tables"),
        md=f"{REPORT}/table.md",
        tex=f"{REPORT}/table.tex",
        by_target=f"{REPORT}/table_by_target.csv",
        utility=f"{REPORT}/utility.md",
    params:
        cli=cli("table"),
        methods=TABLE_METHODS,
        protocols=config["evaluation"]["protocols"],
        out_dir=REPORT,
    log:
        f"{R}/logs/report/table.log",
    shell:
        "{params.cli} --summary {input} --out-dir {params.out_dir} --methods {params.methods} "
        "--benchmark {BENCH} --model {MODEL} --protocols {params.protocols} 2>&1 | tee {log}"


rule tradeoff:
    """Retain against 1 - forget for every run, Pareto fronts, areas above retain thresholds."""
    input:
        SUMMARY,
    output:
        png=report(f"{REPORT}/tradeoff.png", caption="../report/tradeoff.rst", category="Figures"),
        areas=f"{REPORT}/tradeoff_area.csv",
        points=f"{REPORT}/tradeoff_points.csv",
    params:
        cli=cli("tradeoff"),
        protocols=config["evaluation"]["protocols"],
    log:
        f"{R}/logs/report/tradeoff.log",
    shell:
        "{params.cli} --summary {input} --out {output.png} --benchmark {BENCH} --model {MODEL} "
        "--protocols {params.protocols} 2>&1 | tee {log}"
