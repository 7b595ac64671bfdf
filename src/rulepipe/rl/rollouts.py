"""ReBO's rollouts: the engine that writes them (vLLM colocated with the policy, or HF `generate`
on the policy itself), the weight push that keeps it on-policy, and one step's sampling."""

from __future__ import annotations

import time

from rulepipe.data.rl_rows import RLRow
from rulepipe.generation import SamplingConfig, make_generator, vllm_available
from rulepipe.prompts import encode_prompt, render, rl_turn
from rulepipe.rl.batch import Sample
from rulepipe.training.export import gathered_parameters


def rollout_generator(policy_dir: str, session, gen: dict, seed: int):
    """vLLM colocated with the policy on each rank (sleeping during updates where enabled), or
    HF `generate` on the policy itself, which under ZeRO-3 on several ranks keeps every rank
    stepping until all finish (`synced`: each forward pass is a collective)."""
    if gen["backend"] == "vllm" or (gen["backend"] == "auto" and vllm_available()):
        return make_generator(
            policy_dir,
            "vllm",
            seed=seed,
            gpu_memory_utilization=gen["gpu_memory_utilization"],
            max_model_len=gen["max_model_len"],
            sleep_mode=gen["sleep_mode"],
            tensor_parallel_size=gen["tensor_parallel_size"],
            sleep_level=gen["sleep_level"],
        )
    from rulepipe.generation.hf_backend import HFGenerator

    return HFGenerator(
        policy_dir,
        seed=seed,
        batch_size=gen["batch_size"],
        model=session.engine.module,
        tokenizer=session.tokenizer,
        synced=session.world > 1 and session.zero_stage == 3,
    )


def push_weights(generator, session) -> float:
    """The policy's weights into the rollout engine in place, streamed from the gathered
    parameters (every rank takes part in each gather); returns the seconds it took."""
    t0 = time.time()
    generator.update_weights(gathered_parameters(session))
    return time.time() - t0


def rl_prompt_ids(tokenizer, row: RLRow, prompt_format: str) -> list[int]:
    """A training prompt's token ids: chat template, one BOS, `rule.prompt_format`'s user turn."""
    return encode_prompt(tokenizer, render(tokenizer, *rl_turn(row.prompt, row.format, prompt_format)))


def rollout(generator, session, batch: list[RLRow], cfg, stops: list[int], seed: int, step: int):
    """This rank's prompts -> (samples, completions per prompt, seconds). A completion that
    ended on a stop token is trained with it (`train_stop_token`, the release's EOS)."""
    t0 = time.time()
    prompt_ids = [rl_prompt_ids(session.tokenizer, r, cfg.prompt_format) for r in batch]
    sampling = SamplingConfig(
        n=cfg.rollouts,
        temperature=cfg.temperature,
        top_p=cfg.top_p,
        max_tokens=cfg.max_new_tokens,
        seed=seed * 100003 + step,  # the step's call seed, the same on every rank (generation/seeds.py)
    )
    session.engine.eval()
    rollouts = generator.generate(prompt_ids, sampling, stops)
    generator.sleep()  # vLLM frees its GPU memory for the update (where sleep mode is on)
    session.engine.train()
    samples = []
    for ids, completions in zip(prompt_ids, rollouts):
        for c in completions:
            stop = [c.stop_token_id] if cfg.train_stop_token and c.stop_token_id is not None else []
            samples.append(Sample(ids, list(c.token_ids) + stop, []))
    return samples, rollouts, time.time() - t0
