rule learn:
    """Where the benchmark is learned first (fictional world, MUSE stand-in): base -> original."""
    input:
        model=BASE_MODEL,
        data=f"{DATA}/learn.json",
    output:
        model=directory(f"{R}/{BENCH}/{MODEL}/original/model"),
    params:
        command=command("learn"),
        settings=settings("learn"),
    log:
        f"{R}/logs/{BENCH}/{MODEL}/learn.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/learn.tsv"
    threads: job_threads("learn")
    resources:
        gpu=gpus("learn"),
    shell:
        RUN_STAGE
