rule evaluate:
    """RWKU forget and neighbor probes (greedy, 30 tokens, ROUGE-L recall) for one model and target."""
    input:
        model=lambda wildcards: model_dir(wildcards.method, wildcards.target),
        target=f"{DATA}/{{target}}/target.json",
    output:
        eval=f"{R}/{BENCH}/{MODEL}/{{method}}/{{target}}/eval.json",
    params:
        command=command("evaluate"),
        settings=settings("evaluate"),
    log:
        f"{R}/logs/{BENCH}/{MODEL}/{{method}}/{{target}}/evaluate.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/{{method}}/{{target}}/evaluate.tsv"
    threads: job_threads("evaluate")
    resources:
        gpu=gpus("evaluate"),
    shell:
        RUN_STAGE


rule utility:
    """RWKU's utility sets (MMLU, BBH, TruthfulQA, TriviaQA, fluency) for one model and target."""
    input:
        model=lambda wildcards: model_dir(wildcards.method, wildcards.target),
        target=f"{DATA}/{{target}}/target.json",
        sets=[UTILITY_SETS] if UTILITY_SETS else [],
    output:
        utility=f"{R}/{BENCH}/{MODEL}/{{method}}/{{target}}/utility.json",
    params:
        command=command("utility"),
        settings=settings("utility"),
    log:
        f"{R}/logs/{BENCH}/{MODEL}/{{method}}/{{target}}/utility.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/{{method}}/{{target}}/utility.tsv"
    threads: job_threads("utility")
    resources:
        gpu=gpus("utility"),
    shell:
        RUN_STAGE


rule mia:
    """Membership inference (LOSS, zlib, Min-K%, Min-K%++; AUC forget vs retain) for one model and target."""
    input:
        model=lambda wildcards: model_dir(wildcards.method, wildcards.target),
        target=f"{DATA}/{{target}}/target.json",
    output:
        mia=f"{R}/{BENCH}/{MODEL}/{{method}}/{{target}}/mia.json",
    params:
        command=command("mia"),
        settings=settings("mia"),
    log:
        f"{R}/logs/{BENCH}/{MODEL}/{{method}}/{{target}}/mia.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/{{method}}/{{target}}/mia.tsv"
    threads: job_threads("mia")
    resources:
        gpu=gpus("mia"),
    shell:
        RUN_STAGE
