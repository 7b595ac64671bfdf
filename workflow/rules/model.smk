rule prepare_model:
    """Model source (GGUF wheel, hub, local directory, tiny) -> an HF directory."""
    output:
        model=directory(BASE_MODEL),
    params:
        cli=cli("prepare-model"),
        model=sections("model"),
        seed=config["seed"],
    log:
        f"{R}/logs/models/{MODEL}/prepare_model.log",
    benchmark:
        f"{R}/benchmarks/models/{MODEL}/prepare_model.tsv"
    threads: workflow.cores
    shell:
        "{params.cli} --params {params.model:q} --seed {params.seed} "
        "--out-dir {output.model} 2>&1 | tee {log}"
