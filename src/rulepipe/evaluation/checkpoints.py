"""Evaluation along training: a model part-way through, asked the target's forget and neighbor
probes under RWKU's protocol (greedy, `evaluation.max_new_tokens`, newline stop) by the engine
that is already loaded (ReBO's rollout engine with the step's weights pushed in). Each record is
a point of its method's trade-off curve: `checkpoints.json` beside the run's eval.json holds
them, and summarize makes each a row (`rule-grpo-step4`). The finished model is scored by the
score stage like any other, so a curve's last point is that row.

In-loop, as the RULE release validates (its table comes from such evaluations): saving each
checkpoint and starting a scoring job for it would cost a model save, an engine start and a
load per point."""

from __future__ import annotations

from rulepipe.data.target import Target
from rulepipe.evaluation.rwku_probes import evaluate_target
from rulepipe.io import write_json


def due(step: int, every: int, total: int) -> bool:
    """Whether the model after `step` steps (1-based) is a curve point: every `every` steps,
    the last step excepted (the finished model is scored as itself)."""
    return every > 0 and step % every == 0 and step < total


def evaluate_checkpoint(generator, target: Target, step: int, max_new_tokens: int, log_as: str | None = None) -> dict:
    """The probes' record at `step` (RWKU's protocol), without its wall time (a record is
    the same on every run of the same seed and config); `log_as`: the tag of its log line
    (None: no line, as on ranks other than 0)."""
    record = evaluate_target(generator, target, None, "rwku", {"max_new_tokens": max_new_tokens})
    record["generation"].pop("seconds", None)
    if log_as:
        scores = [(side, record[side]["all"]) for side in ("forget", "neighbor")]
        text = ", ".join(f"{side} All {'-' if v is None else f'{v:.3f}'}" for side, v in scores)  # - : no probes
        print(f"[{log_as}] step {step}: {text} (in-loop, rwku)", flush=True)
    return {"step": step, **record}


def on_training_model(target: Target, max_new_tokens: int, batch_size: int):
    """`evaluate(session, step)` for the trainer: HF `generate` on the model being trained (under
    ZeRO-3 on several ranks, in lockstep), the generator made once."""
    made = {}

    def evaluate(session, step: int) -> dict:
        from rulepipe.generation.hf_backend import HFGenerator

        if "generator" not in made:
            synced = session.world > 1 and session.zero_stage == 3
            made["generator"] = HFGenerator(
                "", batch_size=batch_size, model=session.engine.module, tokenizer=session.tokenizer, synced=synced
            )
        log_as = "evaluate" if session.rank == 0 else None
        return evaluate_checkpoint(made["generator"], target, step, max_new_tokens, log_as)

    return evaluate


def write_checkpoints(path: str, history: list[dict]) -> None:
    """The evaluations a training history holds -> `path` (checkpoints.json)."""
    evaluations = [record["evaluation"] for record in history if "evaluation" in record]
    write_json(path, {"evaluations": sorted(evaluations, key=lambda e: e["step"])})
