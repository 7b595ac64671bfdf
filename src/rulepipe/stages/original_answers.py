"""The original_answers stage: the original model's greedy answers to the forget-question pool,
what DPO disprefers. A stage of its own so that a multi-process training launch never starts
a generator."""

from __future__ import annotations

from rulepipe.data.target import Target
from rulepipe.generation import SamplingConfig, from_config
from rulepipe.io import write_json
from rulepipe.prompts import encode_prompt, render, rl_turn, stop_token_ids


def original_answers(model_dir: str, target_path: str, out_path: str, params: dict, seed: int = 0) -> None:
    target = Target.load(target_path)
    sampling = SamplingConfig(max_tokens=params["baselines"]["answer_max_new_tokens"])
    with from_config(model_dir, params["generation"], seed) as generator:
        tok = generator.tokenizer
        prompts = [encode_prompt(tok, render(tok, *rl_turn(q, "qa", "rwku"))) for q in target.forget_questions]
        outputs = generator.generate(prompts, sampling, stop_token_ids(tok))
    answers = [completions[0].text.strip() or "NOANSWER" for completions in outputs]
    write_json(out_path, [{"question": q, "answer": a} for q, a in zip(target.forget_questions, answers)])
    print(f"[original_answers] {len(answers)} answers for {target.target_id} -> {out_path}", flush=True)


def run(inputs: dict, outputs: dict, params: dict, seed: int) -> None:
    original_answers(inputs["model"], inputs["target"], outputs["answers"], params, seed)
