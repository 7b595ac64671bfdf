rule prepare_benchmark:
    """Benchmark source (fictional generator, RWKU directory or hub) -> one target.json per target."""
    output:
        targets=expand(f"{DATA}/{{target}}/target.json", target=TARGETS),
        learn=[f"{DATA}/learn.json"] if LEARNS else [],
        world=[f"{DATA}/raw/world.json"] if FICTIONAL else [],
    params:
        cli=cli("prepare-benchmark"),
        benchmark=sections("benchmark"),
        targets=TARGETS,
        out_dir=DATA,
    log:
        f"{R}/logs/{BENCH}/prepare_benchmark.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/prepare_benchmark.tsv"
    shell:
        "{params.cli} --params {params.benchmark:q} "
        "--targets {params.targets} --out-dir {params.out_dir} 2>&1 | tee {log}"


if UTILITY_SETS:

    rule prepare_utility:
        """`utility.path` (RWKU's utility files) -> one checked JSON for benchmarks without their own."""
        output:
            UTILITY_SETS,
        params:
            cli=cli("prepare-utility"),
            path=config["utility"]["path"],
        log:
            f"{R}/logs/{BENCH}/prepare_utility.log",
        shell:
            "{params.cli} --path {params.path:q} --out {output} 2>&1 | tee {log}"
