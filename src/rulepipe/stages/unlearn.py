"""The unlearn stage: one gradient-based baseline (GA, NPO, SimNPO, with GDR / KLR; RT; DPO)
trained from the original model with the same DeepSpeed trainer as every other stage.

Data, as RWKU builds it: GA / NPO / SimNPO on 100% of the target's forget corpus; RT on
refusals (naming the target) to every question of the forget-question pool; DPO with those
refusals preferred over the original model's own greedy answers; GDR / KLR add the retain corpus.
Every `baselines.eval_every` steps the model being trained is asked the target's probes (its
trade-off curve: `checkpoints.json`, as ReBO's).
"""

from __future__ import annotations

from rulepipe.config import baseline_runs
from rulepipe.data.target import Target
from rulepipe.evaluation.checkpoints import on_training_model, write_checkpoints
from rulepipe.io import DataError, read_json
from rulepipe.prompts import REFUSAL_TEMPLATES, rl_turn
from rulepipe.stages import optional
from rulepipe.training.data import ChatExample, tokenize_examples, tokenize_texts, with_group
from rulepipe.training.distributed import init_distributed
from rulepipe.training.engine import TrainConfig, train
from rulepipe.training.methods import CORPUS_OBJECTIVES, MethodSpec, make_loss, parse_method


def refusal_examples(target: Target, answers: list[str] | None = None) -> list[ChatExample]:
    examples = []
    for i, question in enumerate(target.forget_questions):
        user, prefix = rl_turn(question, "qa", "rwku")
        response = answers[i] if answers else REFUSAL_TEMPLATES[i % len(REFUSAL_TEMPLATES)].format(name=target.name)
        examples.append(ChatExample(user, " " + response, prefix))
    return examples


def training_rows(spec: MethodSpec, target: Target, tokenizer, max_length: int, answers_path: str | None):
    if spec.objective in CORPUS_OBJECTIVES:
        if not target.forget_corpus:
            raise DataError(f"{target.target_id}: target.json has an empty forget_corpus; {spec.name} needs it")
        rows = tokenize_texts(tokenizer, target.forget_corpus, max_length)
    else:
        if not target.forget_questions:
            raise DataError(f"{target.target_id}: target.json has no forget_questions; {spec.name} needs them")
        rows = tokenize_examples(tokenizer, refusal_examples(target), max_length)
        if spec.objective == "dpo":
            if not answers_path:
                raise DataError(f"{spec.name}: needs the original model's answers (--answers)")
            by_question = {row["question"]: row["answer"] for row in read_json(answers_path)}
            missing = [q for q in target.forget_questions if q not in by_question]
            if missing:
                raise DataError(f"{answers_path}: no answer for {len(missing)} forget questions, e.g. {missing[0]!r}")
            answers = [by_question[q] for q in target.forget_questions]
            rejected = tokenize_examples(tokenizer, refusal_examples(target, answers), max_length)
            rows = with_group(rows, "rejected", rejected)
    if spec.regularizer:
        if not target.retain_corpus:
            raise DataError(f"{target.target_id}: target.json has an empty retain_corpus; {spec.name} needs it")
        rows = with_group(rows, "retain", tokenize_texts(tokenizer, target.retain_corpus, max_length))
    return rows


def unlearn(
    model_dir: str,
    target_path: str,
    out_dir: str,
    run: str,
    params: dict,
    answers: str | None = None,
    seed: int = 0,
    checkpoints_out: str | None = None,
) -> dict:
    from transformers import AutoTokenizer

    cfg = params["baselines"]
    runs = baseline_runs(params)
    if run not in runs:
        raise DataError(f"baseline run {run!r} is not configured; configured: {', '.join(runs)}")
    method, learning_rate = runs[run]
    spec = parse_method(method)
    target = Target.load(target_path)
    train_cfg = TrainConfig.from_sections(cfg, params["training"], seed, learning_rate=learning_rate)
    rows = training_rows(spec, target, AutoTokenizer.from_pretrained(model_dir), train_cfg.max_length, answers)
    print(
        f"[unlearn] {run}: {spec.objective}"
        f"{' + ' + spec.regularizer if spec.regularizer else ''} on {target.target_id}, {len(rows)} rows, "
        f"lr {learning_rate:g}, {cfg['epochs']} epochs",
        flush=True,
    )
    reference = model_dir if spec.needs_reference else None
    evaluate = on_training_model(target, params["evaluation"]["max_new_tokens"], params["generation"]["batch_size"])
    result = train(
        model_dir,
        rows,
        out_dir,
        train_cfg,
        loss_fn=make_loss(spec, cfg),
        reference_dir=reference,
        stage="baselines",
        settings={k: v for k, v in cfg.items() if k not in ("methods", "sweep")} | {"run": run},
        evaluate=evaluate if checkpoints_out else None,
        eval_every=cfg["eval_every"],
    )
    if checkpoints_out and init_distributed()[0] == 0:  # rank 0, after the save's barrier
        write_checkpoints(checkpoints_out, read_json(f"{out_dir}/train_log.json")["history"])
    return result


def run(inputs: dict, outputs: dict, params: dict, seed: int) -> None:
    answers = optional(inputs, "answers")
    unlearn(
        inputs["model"],
        inputs["target"],
        outputs["model"],
        params["run"],
        params,
        answers,
        seed,
        outputs["checkpoints"],
    )
