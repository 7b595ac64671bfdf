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
        facts=[named_model(config["rule"]["synthesis"]["fact_model"])] if FICTIONAL else [],
        neighbors=[NEIGHBOR_POOL] if NEIGHBOR_POOL else [],
    output:
        rl_data=f"{RULE_DIR}/rule/{{target}}/rl_data.json",
        boundary=f"{RULE_DIR}/rule/{{target}}/boundary.json",
        budget=f"{RULE_DIR}/rule/{{target}}/budget.json",
    params:
        command=command("rule_data"),
        settings=settings("rule_data"),
    log:
        f"{R}/logs/{BENCH}/{MODEL}/rule/{{target}}/rule_data.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/rule/{{target}}/rule_data.tsv"
    threads: job_threads("rule_data")
    resources:
        gpu=gpus("rule_data"),
    shell:
        RUN_STAGE


rule rs_sample:
    """The warm start's data: templated refusals (the paper's), or rejection sampling from the original model."""
    input:
        model=ORIGINAL_MODEL,
        rl_data=rules.rule_data.output.rl_data,
        target=f"{DATA}/{{target}}/target.json",
    output:
        rs_data=f"{RULE_DIR}/rs/{{target}}/rs_data.json",
    params:
        command=command("rs_sample"),
        settings=settings("rs_sample"),
    log:
        f"{R}/logs/{BENCH}/{MODEL}/rs/{{target}}/rs_sample.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/rs/{{target}}/rs_sample.tsv"
    threads: job_threads("rs_sample")
    resources:
        gpu=gpus("rs_sample"),
    shell:
        RUN_STAGE


rule warm_start:
    """SFT of the original model on the kept samples -> the RS checkpoint."""
    input:
        model=ORIGINAL_MODEL,
        rs_data=rules.rs_sample.output.rs_data,
    output:
        model=directory(f"{RULE_DIR}/rs/{{target}}/model"),
    params:
        command=command("warm_start"),
        settings=settings("warm_start"),
    log:
        f"{R}/logs/{BENCH}/{MODEL}/rs/{{target}}/warm_start.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/rs/{{target}}/warm_start.tsv"
    threads: job_threads("warm_start")
    resources:
        gpu=gpus("warm_start"),
    shell:
        RUN_STAGE


rule rebo:
    """ReBO online RL from the RS checkpoint (KL to it), rollouts from vLLM with in-place weight updates;
    the probes asked in-loop every `rule.rebo.eval_every` steps (checkpoints.json: RULE's curve)."""
    input:
        model=rules.warm_start.output.model,
        rl_data=rules.rule_data.output.rl_data,
        target=f"{DATA}/{{target}}/target.json",
    output:
        model=directory(f"{RULE_DIR}/rule-{{algorithm}}/{{target}}/model"),
        checkpoints=f"{RULE_DIR}/rule-{{algorithm}}/{{target}}/checkpoints.json",
    wildcard_constraints:
        algorithm="|".join(ALGORITHMS),
    params:
        command=command("rebo"),
        settings=settings("rebo"),
    log:
        f"{R}/logs/{BENCH}/{MODEL}/rule-{{algorithm}}/{{target}}/rebo.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/rule-{{algorithm}}/{{target}}/rebo.tsv"
    threads: job_threads("rebo")
    resources:
        gpu=gpus("rebo"),
    shell:
        RUN_STAGE


rule rebo_curves:
    """ReBO training curves (reward, refusal rates, KL, length) of every algorithm, one figure per target."""
    input:
        models=expand(f"{RULE_DIR}/rule-{{algorithm}}/{{{{target}}}}/model", algorithm=ALGORITHMS),
    output:
        png=report(f"{RULE_DIR}/rule/{{target}}/rebo_curves.png", caption="../report/rebo_curves.rst", category="RULE"),
    params:
        command=command("rebo_curves"),
        settings=settings("rebo_curves"),
    log:
        f"{R}/logs/{BENCH}/{MODEL}/rule/{{target}}/rebo_curves.log",
    shell:
        RUN_STAGE
