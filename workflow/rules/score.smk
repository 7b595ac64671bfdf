rule score:
    """One model on one target, loaded once: RWKU's forget and neighbor probes (greedy, 30 tokens,
    ROUGE-L recall, under each protocol), RWKU's utility sets (MMLU, BBH, TruthfulQA, TriviaQA,
    fluency; where `utility.limits` asks for any) and membership inference (LOSS, zlib, Min-K%,
    Min-K%++; AUC forget vs retain)."""
    input:
        model=lambda wildcards: model_dir(wildcards.method, wildcards.target),
        target=f"{DATA}/{{target}}/target.json",
        sets=[UTILITY_SETS] if UTILITY_SETS else [],
    output:
        eval=f"{R}/{BENCH}/{MODEL}/{{method}}/{{target}}/eval.json",
        mia=f"{R}/{BENCH}/{MODEL}/{{method}}/{{target}}/mia.json",
        **({"utility": f"{R}/{BENCH}/{MODEL}/{{method}}/{{target}}/utility.json"} if UTILITY_ON else {}),
    params:
        command=command("score"),
        settings=settings("score"),
    log:
        f"{R}/logs/{BENCH}/{MODEL}/{{method}}/{{target}}/score.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/{{method}}/{{target}}/score.tsv"
    threads: job_threads("score")
    resources:
        gpu=gpus("score"),
    shell:
        RUN_STAGE
