rule summarize:
    """Every evaluated row (this run's and earlier runs' under results/) -> results/summary.csv."""
    input:
        evals=expand(f"{R}/{BENCH}/{MODEL}/{{method}}/{{target}}/eval.json", method=METHODS, target=TARGETS),
    output:
        SUMMARY,
    params:
        cli=cli("summarize"),
        root=R,
    log:
        f"{R}/logs/summarize.log",
    shell:
        "{params.cli} --evals {input.evals} --scan {params.root} --out {output} 2>&1 | tee {log}"
