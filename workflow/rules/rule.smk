# The RULE method, per target: budget + boundary synthesis -> warm start (rs_sample: templated
# or rejection-sampled data -> warm_start = RS) -> ReBO (GRPO, REINFORCE++, REINFORCE++ with
# baseline, PPO) -> evaluated like every other method.
RULE_DIR = f"{R}/{BENCH}/{MODEL}"


rule rule_data:
    """Budgeted forget queries, synthesized boundary queries, RL prompts and token accounting."""
    input:
        target=f"{DATA}/{{target}}/target.json",
        synthesizer=synthesizer_dir(),
        world=[f"{DATA}/raw/world.json"] if FICTIONAL else [],
        neighbors=[NEIGHBOR_POOL] if NEIGHBOR_POOL else [],
    output:
        rl_data=f"{RULE_DIR}/rule/{{target}}/rl_data.json",
        boundary=f"{RULE_DIR}/rule/{{target}}/boundary.json",
        budget=f"{RULE_DIR}/rule/{{target}}/budget.json",
    params:
        cli=gpu_cli("rule-data"),
        rule=sections("rule", "generation"),
        world=lambda wildcards, input: f"--world {input.world[0]}" if input.world else "",
        neighbors=lambda wildcards, input: f"--neighbors {input.neighbors[0]}" if input.neighbors else "",
        out_dir=lambda wildcards, output: str(Path(output.rl_data).parent),
        seed=config["seed"],
    log:
        f"{R}/logs/{BENCH}/{MODEL}/rule/{{target}}/rule_data.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/rule/{{target}}/rule_data.tsv"
    threads: job_threads()
    resources:
        gpu=gpus(),
    shell:
        "{params.cli} --target {input.target} --synthesizer {input.synthesizer} {params.world} {params.neighbors} "
        "--out-dir {params.out_dir} --params {params.rule:q} --seed {params.seed} 2>&1 | tee {log}"


rule rs_sample:
    """The warm start's data: templated refusals (the paper's), or rejection sampling from the original model."""
    input:
        model=ORIGINAL_MODEL,
        rl_data=rules.rule_data.output.rl_data,
        target=f"{DATA}/{{target}}/target.json",
    output:
        rs_data=f"{RULE_DIR}/rs/{{target}}/rs_data.json",
    params:
        cli=gpu_cli("rs-sample"),
        rule=sections("rule", "generation"),
        seed=config["seed"],
    log:
        f"{R}/logs/{BENCH}/{MODEL}/rs/{{target}}/rs_sample.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/rs/{{target}}/rs_sample.tsv"
    threads: job_threads()
    resources:
        gpu=gpus(),
    shell:
        "{params.cli} --model-dir {input.model} --rl-data {input.rl_data} --target {input.target} "
        "--out {output.rs_data} --params {params.rule:q} --seed {params.seed} 2>&1 | tee {log}"


rule warm_start:
    """SFT of the original model on the kept samples -> the RS checkpoint."""
    input:
        model=ORIGINAL_MODEL,
        rs_data=rules.rs_sample.output.rs_data,
    output:
        model=directory(f"{RULE_DIR}/rs/{{target}}/model"),
    params:
        cli=gpu_cli("warm-start", training=True),
        rule=sections("rule", "training"),
        seed=config["seed"],
    log:
        f"{R}/logs/{BENCH}/{MODEL}/rs/{{target}}/warm_start.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/rs/{{target}}/warm_start.tsv"
    threads: job_threads(training=True)
    resources:
        gpu=gpus(training=True),
    shell:
        "OMP_NUM_THREADS={threads} {params.cli} --model-dir {input.model} --rs-data {input.rs_data} "
        "--out-dir {output.model} --params {params.rule:q} --seed {params.seed} 2>&1 | tee {log}"


rule rebo:
    """ReBO online RL from the RS checkpoint (KL to it), rollouts from vLLM with in-place weight updates."""
    input:
        model=rules.warm_start.output.model,
        rl_data=rules.rule_data.output.rl_data,
    output:
        model=directory(f"{RULE_DIR}/rule-{{algorithm}}/{{target}}/model"),
    wildcard_constraints:
        algorithm="|".join(ALGORITHMS),
    params:
        cli=gpu_cli("rebo", training=True),
        rule=sections("rule", "generation", "training"),
        seed=config["seed"],
    log:
        f"{R}/logs/{BENCH}/{MODEL}/rule-{{algorithm}}/{{target}}/rebo.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/rule-{{algorithm}}/{{target}}/rebo.tsv"
    threads: job_threads(training=True)
    resources:
        gpu=gpus(training=True),
    shell:
        "OMP_NUM_THREADS={threads} {params.cli} --model-dir {input.model} --rl-data {input.rl_data} "
        "--out-dir {output.model} --algorithm {wildcards.algorithm} --params {params.rule:q} "
        "--seed {params.seed} 2>&1 | tee {log}"


rule rebo_curves:
    """ReBO training curves (reward, refusal rates, KL, length) of every algorithm, one figure per target."""
    input:
        models=expand(f"{RULE_DIR}/rule-{{algorithm}}/{{{{target}}}}/model", algorithm=ALGORITHMS),
    output:
        report(f"{RULE_DIR}/rule/{{target}}/rebo_curves.png", caption="../report/rebo_curves.rst", category="RULE"),
    params:
        cli=cli("plot-curves"),
        logs=lambda wildcards, input: [f"{m}/train_log.json" for m in input.models],
    log:
        f"{R}/logs/{BENCH}/{MODEL}/rule/{{target}}/rebo_curves.log",
    shell:
        "{params.cli} --logs {params.logs} --out {output} 2>&1 | tee {log}"
