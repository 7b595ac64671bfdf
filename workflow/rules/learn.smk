rule learn:
    """Where the benchmark is learned first (fictional world, MUSE stand-in): base -> original."""
    input:
        model=BASE_MODEL,
        data=f"{DATA}/learn.json",
    output:
        model=directory(f"{R}/{BENCH}/{MODEL}/original/model"),
    params:
        cli=gpu_cli("learn", training=True),
        train=sections("learn", "training"),
        seed=config["seed"],
    log:
        f"{R}/logs/{BENCH}/{MODEL}/learn.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/learn.tsv"
    threads: job_threads(training=True)
    resources:
        gpu=gpus(training=True),
    shell:
        "OMP_NUM_THREADS={threads} {params.cli} --model-dir {input.model} --data {input.data} "
        "--out-dir {output.model} --params {params.train:q} --seed {params.seed} 2>&1 | tee {log}"
