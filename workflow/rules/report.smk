rule summarize:
    """Every evaluated row (this run's and earlier runs' under results/) -> results/summary.csv."""
    input:
        evals=expand(f"{R}/{BENCH}/{MODEL}/{{method}}/{{target}}/eval.json", method=METHODS, target=TARGETS),
    output:
        SUMMARY,
    log:
        f"{R}/logs/summarize.log",
    shell:
        "{PY} -m rulepipe.cli summarize --evals {input.evals} --scan {R} --out {output} 2>&1 | tee {log}"
