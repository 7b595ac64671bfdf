rule evaluate:
    """RWKU forget and neighbor probes (greedy, 30 tokens, ROUGE-L recall) for one model and target."""
    input:
        model=lambda wildcards: model_dir(wildcards.method, wildcards.target),
        target=f"{DATA}/{{target}}/target.json",
    output:
        f"{R}/{BENCH}/{MODEL}/{{method}}/{{target}}/eval.json",
    params:
        cli=cli("evaluate"),
        eval=sections("generation", "evaluation"),
        seed=config["seed"],
    log:
        f"{R}/logs/{BENCH}/{MODEL}/{{method}}/{{target}}/evaluate.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/{{method}}/{{target}}/evaluate.tsv"
    threads: workflow.cores
    shell:
        "{params.cli} --model-dir {input.model} --target {input.target} --out {output} "
        "--method {wildcards.method} --params {params.eval:q} --seed {params.seed} 2>&1 | tee {log}"
