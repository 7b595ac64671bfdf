rule prepare_model:
    """Model source (GGUF wheel, hub, local directory, tiny) -> an HF directory."""
    output:
        model=directory(BASE_MODEL),
    params:
        command=command("prepare_model"),
        settings=settings("prepare_model"),
    log:
        f"{R}/logs/models/{MODEL}/prepare_model.log",
    benchmark:
        f"{R}/benchmarks/models/{MODEL}/prepare_model.tsv"
    threads: workflow.cores
    shell:
        RUN_STAGE
