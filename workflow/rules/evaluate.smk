rule evaluate:
    """RWKU forget and neighbor probes (greedy, 30 tokens, ROUGE-L recall) for one model and target."""
    input:
        model=lambda wildcards: model_dir(wildcards.method, wildcards.target),
        target=f"{DATA}/{{target}}/target.json",
    output:
        f"{R}/{BENCH}/{MODEL}/{{method}}/{{target}}/eval.json",
    params:
        cli=gpu_cli("evaluate"),
        eval=sections("generation", "evaluation"),
        seed=config["seed"],
    log:
        f"{R}/logs/{BENCH}/{MODEL}/{{method}}/{{target}}/evaluate.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/{{method}}/{{target}}/evaluate.tsv"
    threads: job_threads()
    resources:
        gpu=gpus(),
    shell:
        "{params.cli} --model-dir {input.model} --target {input.target} --out {output} "
        "--method {wildcards.method} --params {params.eval:q} --seed {params.seed} 2>&1 | tee {log}"



rule utility:
    """RWKU's utility sets (MMLU, BBH, TruthfulQA, TriviaQA, fluency) for one model and target."""
    input:
        model=lambda wildcards: model_dir(wildcards.method, wildcards.target),
        target=f"{DATA}/{{target}}/target.json",
        sets=[UTILITY_SETS] if UTILITY_SETS else [],
    output:
        f"{R}/{BENCH}/{MODEL}/{{method}}/{{target}}/utility.json",
    params:
        cli=gpu_cli("utility"),
        utility=sections("generation", "utility"),
        sets=lambda wildcards, input: f"--sets {input.sets[0]}" if input.sets else "",
        seed=config["seed"],
    log:
        f"{R}/logs/{BENCH}/{MODEL}/{{method}}/{{target}}/utility.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/{{method}}/{{target}}/utility.tsv"
    threads: job_threads()
    resources:
        gpu=gpus(),
    shell:
        "{params.cli} --model-dir {input.model} --target {input.target} --out {output} {params.sets} "
        "--method {wildcards.method} --params {params.utility:q} --seed {params.seed} 2>&1 | tee {log}"


rule mia:
    """Membership inference (LOSS, zlib, Min-K%, Min-K%++; AUC forget vs retain) for one model and target."""
    input:
        model=lambda wildcards: model_dir(wildcards.method, wildcards.target),
        target=f"{DATA}/{{target}}/target.json",
    output:
        f"{R}/{BENCH}/{MODEL}/{{method}}/{{target}}/mia.json",
    params:
        cli=gpu_cli("mia"),
        mia=sections("mia"),
    log:
        f"{R}/logs/{BENCH}/{MODEL}/{{method}}/{{target}}/mia.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/{{method}}/{{target}}/mia.tsv"
    threads: job_threads()
    resources:
        gpu=gpus(),
    shell:
        "{params.cli} --model-dir {input.model} --target {input.target} --out {output} "
        "--method {wildcards.method} --params {params.mia:q} 2>&1 | tee {log}"
