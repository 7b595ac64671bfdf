rule prepare_benchmark:
    """Benchmark source (fictional generator, RWKU directory or hub) -> one target.json per target."""
    output:
        targets=expand(f"{DATA}/{{target}}/target.json", target=TARGETS),
        learn=[f"{DATA}/learn.json"] if LEARNS else [],
        world=[f"{DATA}/raw/world.json"] if LEARNS else [],
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
