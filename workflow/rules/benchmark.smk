rule prepare_benchmark:
    """Benchmark source (fictional generator, RWKU directory or hub) -> one target.json per target."""
    output:
        targets=expand(f"{DATA}/{{target}}/target.json", target=TARGETS),
        learn=[f"{DATA}/learn.json"] if LEARNS else [],
        world=[f"{DATA}/raw/world.json"] if FICTIONAL else [],
    params:
        command=command("prepare_benchmark"),
        settings=settings("prepare_benchmark"),
    log:
        f"{R}/logs/{BENCH}/prepare_benchmark.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/prepare_benchmark.tsv"
    shell:
        RUN_STAGE


if UTILITY_SETS:

    rule prepare_utility:
        """`utility.path` (RWKU's utility files) -> one checked JSON for benchmarks without their own."""
        output:
            sets=UTILITY_SETS,
        params:
            command=command("prepare_utility"),
            settings=settings("prepare_utility"),
        log:
            f"{R}/logs/{BENCH}/prepare_utility.log",
        shell:
            RUN_STAGE
