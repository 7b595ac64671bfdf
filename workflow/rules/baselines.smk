# Gradient-based baselines (RWKU / the paper), each trained from the original model with the
# same DeepSpeed trainer; ICU needs no training (evaluate prompts the original model).


def needs_answers(run):
    return registry.METHODS[BASELINE_RUNS[run][0]].needs_answers


rule original_answers:
    """The original model's greedy answers to the forget questions: DPO's dispreferred side."""
    input:
        model=ORIGINAL_MODEL,
        target=f"{DATA}/{{target}}/target.json",
    output:
        f"{R}/{BENCH}/{MODEL}/original/{{target}}/answers.json",
    params:
        cli=gpu_cli("original-answers"),
        baselines=sections("baselines", "generation"),
        seed=config["seed"],
    log:
        f"{R}/logs/{BENCH}/{MODEL}/original/{{target}}/original_answers.log",
    threads: job_threads()
    resources:
        gpu=gpus(),
    shell:
        "{params.cli} --model-dir {input.model} --target {input.target} --out {output} "
        "--params {params.baselines:q} --seed {params.seed} 2>&1 | tee {log}"


rule unlearn:
    """One baseline run: GA / NPO / SimNPO (+GDR / KLR) on the forget corpus, RT, DPO, or a sweep point."""
    input:
        model=ORIGINAL_MODEL,
        target=f"{DATA}/{{target}}/target.json",
        answers=lambda w: [rules.original_answers.output[0].format(target=w.target)] if needs_answers(w.run) else [],
    output:
        model=directory(f"{R}/{BENCH}/{MODEL}/{{run}}/{{target}}/model"),
    wildcard_constraints:
        run="|".join(TRAINED_BASELINE_RUNS) or "(?!)",
    params:
        cli=gpu_cli("unlearn", training=True),
        baselines=sections("baselines", "generation", "training"),
        answers=lambda w, input: f"--answers {input.answers[0]}" if input.answers else "",
        seed=config["seed"],
    log:
        f"{R}/logs/{BENCH}/{MODEL}/{{run}}/{{target}}/unlearn.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/{{run}}/{{target}}/unlearn.tsv"
    threads: job_threads(training=True)
    resources:
        gpu=gpus(training=True),
    shell:
        "OMP_NUM_THREADS={threads} {params.cli} --model-dir {input.model} --target {input.target} {params.answers} "
        "--out-dir {output.model} --baseline {wildcards.run} --params {params.baselines:q} "
        "--seed {params.seed} 2>&1 | tee {log}"
