# Gradient-based baselines (RWKU / the paper), each trained from the original model with the
# same DeepSpeed trainer; ICU needs no training (score prompts the original model).


def needs_answers(run):
    return registry.METHODS[BASELINE_RUNS[run][0]].needs_answers


rule original_answers:
    """The original model's greedy answers to the forget questions: DPO's dispreferred side."""
    input:
        model=ORIGINAL_MODEL,
        target=f"{DATA}/{{target}}/target.json",
    output:
        answers=f"{R}/{BENCH}/{MODEL}/original/{{target}}/answers.json",
    params:
        command=command("original_answers"),
        settings=settings("original_answers"),
    log:
        f"{R}/logs/{BENCH}/{MODEL}/original/{{target}}/original_answers.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/original/{{target}}/original_answers.tsv"
    threads: job_threads("original_answers")
    resources:
        gpu=gpus("original_answers"),
    shell:
        RUN_STAGE


rule unlearn:
    """One baseline run: GA / NPO / SimNPO (+GDR / KLR) on the forget corpus, RT, DPO, or a sweep point;
    the probes asked along its training every `baselines.eval_every` steps (checkpoints.json: its curve)."""
    input:
        model=ORIGINAL_MODEL,
        target=f"{DATA}/{{target}}/target.json",
        answers=lambda w: [rules.original_answers.output.answers.format(target=w.target)] if needs_answers(w.run) else [],
    output:
        model=directory(f"{R}/{BENCH}/{MODEL}/{{run}}/{{target}}/model"),
        checkpoints=f"{R}/{BENCH}/{MODEL}/{{run}}/{{target}}/checkpoints.json",
    wildcard_constraints:
        run="|".join(TRAINED_BASELINE_RUNS) or "(?!)",
    params:
        command=command("unlearn"),
        settings=settings("unlearn"),
    log:
        f"{R}/logs/{BENCH}/{MODEL}/{{run}}/{{target}}/unlearn.log",
    benchmark:
        f"{R}/benchmarks/{BENCH}/{MODEL}/{{run}}/{{target}}/unlearn.tsv"
    threads: job_threads("unlearn")
    resources:
        gpu=gpus("unlearn"),
    shell:
        RUN_STAGE
