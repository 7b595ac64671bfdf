"""ReBO: on-policy RL (GRPO, REINFORCE++) from the RS checkpoint with the refusal reward.

Own loop on DeepSpeed rather than TRL's GRPOTrainer or OpenRLHF (the evidence is in the
README, "Why ReBO runs its own loop"): TRL computes advantages inline as r - group mean and
cannot express the release's REINFORCE++ (no group baseline, batch-whitened) or PPO, its
colocated vLLM needs CUDA, and it declares vLLM 0.22-0.31; OpenRLHF needs Ray and CUDA. Either
would leave the GPU path untested here. This loop runs the same code on one CPU process and on
N GPU ranks, and takes the scale machinery from the maintained libraries, called the way TRL's
colocate mode calls them: DeepSpeed ZeRO-3 for the policy and a partitioned reference
(`training.engine`), vLLM in-process on each rank (`external_launcher`) with sleep mode during
the update and weights streamed in place one gathered tensor at a time (`generation.vllm_backend`).

A step: every rank draws the same global prompts and keeps its share (`rank::world`), rolls
out, scores with the one reward; rewards are gathered so that every rank computes the
advantages of the whole batch with the one definition (`rl.algorithms`), then each updates
on its own sequences. A killed run resumes from its last checkpoint with the same prompt order.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from rulepipe.generation import SamplingConfig, make_generator, vllm_available
from rulepipe.io import DataError, read_json
from rulepipe.prompts import encode_prompt, render, rl_turn, stop_token_ids
from rulepipe.reward import RewardWeights, is_refusal, refusal_reward
from rulepipe.rl.algorithms import (
    clipped_policy_loss,
    grpo_advantages,
    low_var_kl,
    masked_mean,
    reinforce_pp_advantages,
    token_logprobs,
)
from rulepipe.training.engine import (
    TrainConfig,
    checkpoint_written,
    engine_options,
    finish,
    frozen_reference,
    gathered_parameters,
    open_session,
    progress,
    save_checkpoint,
)


@dataclass
class ReboConfig:
    algorithm: str = "grpo"  # grpo | rpp (REINFORCE++ with the group mean as baseline)
    steps: int = 15
    prompts_per_step: int = 8  # half forget, half boundary; across all ranks
    rollouts: int = 4
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 32
    stop_at_newline: bool = True  # False: stop at EOS / end of turn only (the release)
    learning_rate: float = 1e-5
    weight_decay: float = 0.01
    kl_coef: float = 0.01
    clip_low: float = 0.2
    clip_high: float = 0.3
    dual_clip: float = 3.0
    micro_batch_size: int = 8
    checkpoint_every: int = 5


def pick_prompts(forget: list[dict], boundary: list[dict], count: int, step: int, seed: int) -> list[dict]:
    """The step's prompts: a seeded draw, half from each side (the same draw after a resume)."""
    rng = random.Random(seed * 7919 + step)
    half = count // 2
    return rng.sample(forget, min(half, len(forget))) + rng.sample(boundary, min(count - half, len(boundary)))


def advantages_of(algorithm: str, rewards: torch.Tensor) -> torch.Tensor:
    """rewards [prompts, rollouts] of the whole step (every rank's) -> advantages, same shape."""
    if algorithm == "grpo":
        return grpo_advantages(rewards)
    if algorithm == "rpp":
        return reinforce_pp_advantages(rewards, group_baseline=True)
    raise ValueError(f"unknown ReBO algorithm {algorithm!r} (grpo or rpp)")


def all_ranks(value, world: int) -> list:
    """Every rank's `value` in rank order (one small object per rank; a collective)."""
    if world == 1:
        return [value]
    import torch.distributed as dist

    gathered = [None] * world
    dist.all_gather_object(gathered, value)
    return gathered


def rebo(policy_dir: str, rl_data: str, out_dir: str, params: dict, algorithm: str, seed: int = 0) -> dict:
    settings = {k: v for k, v in params["rule"]["rebo"].items() if k != "algorithms"}
    cfg = ReboConfig(algorithm=algorithm, **settings)
    weights = RewardWeights(**params["rule"]["reward"])
    rows = read_json(rl_data)
    forget = [r for r in rows if r["solution"][0] == "<reject>"]
    boundary = [r for r in rows if r["solution"][0] == "<normal>"]
    world = params["training"]["num_processes"]  # the config check makes prompts_per_step a multiple
    local_sequences = cfg.prompts_per_step // world * cfg.rollouts
    train_cfg = TrainConfig(
        learning_rate=cfg.learning_rate,
        weight_decay=cfg.weight_decay,
        micro_batch_size=cfg.micro_batch_size,
        gradient_accumulation=max(1, -(-local_sequences // cfg.micro_batch_size)),
        scheduler="constant",
        warmup_ratio=0.0,
        grad_clip=1.0,
        seed=seed,
        **engine_options(params["training"]),
    )
    checkpoint_dir = Path(f"{out_dir}.ckpt")
    session = open_session(policy_dir, train_cfg, cfg.steps, checkpoint_dir)
    if session.world != world:
        raise DataError(f"training.num_processes is {world} but {session.world} processes were started")
    reference = frozen_reference(policy_dir, session)
    generator = rollout_generator(policy_dir, session, params["generation"], seed)
    stops = stop_token_ids(session.tokenizer, newlines=cfg.stop_at_newline)
    history_path = checkpoint_dir / "history.jsonl"
    history = [json.loads(line) for line in history_path.read_text().splitlines()] if history_path.exists() else []
    history = history[: session.step]
    pushes = hasattr(generator, "update_weights")  # vLLM holds its own copy of the weights
    stale = pushes and session.step > 0  # a resumed run's engine was loaded from disk, not the checkpoint
    started, first_step = time.time(), session.step
    for step in range(session.step, cfg.steps):
        t_sync = push_weights(generator, session) if stale else 0.0
        batch = pick_prompts(forget, boundary, cfg.prompts_per_step, step, seed)[session.rank :: world]
        prompt_ids, rollouts, t_gen = rollout(generator, session, batch, cfg, stops, seed, step)
        rewards = score(batch, rollouts, weights)
        advantages = step_advantages(cfg.algorithm, rewards, session)
        samples = [
            (prompt_ids[i], list(c.token_ids), advantages[i, j].item())
            for i, completions in enumerate(rollouts)
            for j, c in enumerate(completions)
        ]
        t1 = time.time()
        losses, kls = update(session.engine, reference, samples, session.tokenizer, cfg)
        t_train = time.time() - t1
        stale = pushes
        timings = {"seconds_generate": t_gen, "seconds_train": t_train, "seconds_sync": t_sync}
        record = log_step(step, batch, rollouts, rewards, losses, kls, timings, session, cfg, started, first_step)
        history.append(record)
        if cfg.checkpoint_every and (step + 1) % cfg.checkpoint_every == 0 and step + 1 < cfg.steps:
            save_checkpoint(session.engine, checkpoint_dir, step + 1, 1)
            if session.rank == 0:
                history_path.write_text("".join(json.dumps(h) + "\n" for h in history))
            checkpoint_written(step + 1)
    log = {
        "algorithm": cfg.algorithm,
        "config": cfg.__dict__,
        "history": history,
        "prompts": len(rows),
        "world_size": world,
        "seconds": time.time() - started,
    }
    finish(session, out_dir, log, checkpoint_dir)
    generator.close()  # after the save: closing vLLM tears down the process group the gather needs
    return log


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


def rollout(generator, session, batch: list[dict], cfg: ReboConfig, stops: list[int], seed: int, step: int):
    """This rank's prompts -> (prompt ids, completions per prompt, seconds)."""
    t0 = time.time()
    tokenizer = session.tokenizer
    prompt_ids = [encode_prompt(tokenizer, render(tokenizer, *rl_turn(r["prompt"], r["format"]))) for r in batch]
    sampling = SamplingConfig(
        n=cfg.rollouts,
        temperature=cfg.temperature,
        top_p=cfg.top_p,
        max_tokens=cfg.max_new_tokens,
        seed=seed * 100003 + step + 1_000_003 * session.rank,
    )
    session.engine.eval()
    rollouts = generator.generate(prompt_ids, sampling, stops)
    generator.sleep()  # vLLM frees its GPU memory for the update (where sleep mode is on)
    session.engine.train()
    return prompt_ids, rollouts, time.time() - t0


def score(batch: list[dict], rollouts, weights: RewardWeights) -> torch.Tensor:
    """The verifiable reward of each completion: [prompts, rollouts]."""
    return torch.tensor(
        [
            [
                refusal_reward(
                    c.text,
                    "reject" if r["solution"][0] == "<reject>" else "normal",
                    r["solution"][2:] or None,
                    r["solution"][1] if r["solution"][0] == "<normal>" else None,
                    weights,
                )
                for c in completions
            ]
            for r, completions in zip(batch, rollouts)
        ]
    )


def step_advantages(algorithm: str, rewards: torch.Tensor, session) -> torch.Tensor:
    """Advantages over the whole step's batch (REINFORCE++ whitens across every rank's
    rewards), then this rank's rows."""
    everyone = all_ranks(rewards.tolist(), session.world)
    full = advantages_of(algorithm, torch.tensor([row for part in everyone for row in part]))
    mine = rewards.shape[0]
    return full[session.rank * mine : (session.rank + 1) * mine]


def update(engine, reference, samples, tokenizer, cfg: ReboConfig) -> tuple[list[float], list[float]]:
    """One optimizer step over this rank's sequences, in micro-batches (gradient accumulation)."""
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    losses, kls = [], []
    for start in range(0, len(samples), cfg.micro_batch_size):
        loss, kl = _micro_step(engine, reference, samples[start : start + cfg.micro_batch_size], pad_id, cfg)
        losses.append(loss)
        kls.append(kl)
    return losses, kls


def log_step(step, batch, rollouts, rewards, losses, kls, timings, session, cfg, started, first_step) -> dict:
    """The step's record over every rank's rollouts (rank 0 prints it)."""
    is_forget = [r["solution"][0] == "<reject>" for r in batch]
    local = {
        "rewards": rewards.tolist(),
        "forget": is_forget,
        "refused": [[float(is_refusal(c.text)) for c in cs] for cs in rollouts],
        "tokens": [len(c.token_ids) for cs in rollouts for c in cs],
        "loss": sum(losses) / len(losses),
        "kl": sum(kls) / len(kls),
    }
    parts = all_ranks(local, session.world)
    rewards_all = torch.tensor([row for p in parts for row in p["rewards"]])
    refused_all = torch.tensor([row for p in parts for row in p["refused"]])
    forget_all = torch.tensor([f for p in parts for f in p["forget"]])
    tokens = [t for p in parts for t in p["tokens"]]
    record = {
        "step": step + 1,
        "reward_forget": rewards_all[forget_all].mean().item(),
        "reward_boundary": rewards_all[~forget_all].mean().item(),
        "refusal_rate_forget": refused_all[forget_all].mean().item(),
        "refusal_rate_boundary": refused_all[~forget_all].mean().item(),
        "kl": sum(p["kl"] for p in parts) / len(parts),
        "loss": sum(p["loss"] for p in parts) / len(parts),
        "response_tokens": sum(tokens) / len(tokens),
        **{key: round(value, 2) for key, value in timings.items()},
    }
    if session.rank == 0:
        progress(
            f"rebo-{cfg.algorithm}",
            step + 1,
            cfg.steps,
            started,
            first_step,
            r_forget=record["reward_forget"],
            r_boundary=record["reward_boundary"],
            refuse_f=record["refusal_rate_forget"],
            refuse_b=record["refusal_rate_boundary"],
            kl=record["kl"],
        )
    return record


def _micro_step(engine, reference, part, pad_id: int, cfg: ReboConfig) -> tuple[float, float]:
    """One micro-batch: right-padded prompt+completion, loss on completion tokens only."""
    width = max(len(p) + len(c) for p, c, _ in part)
    ids = torch.full((len(part), width), pad_id, dtype=torch.long)
    attention = torch.zeros_like(ids)
    mask = torch.zeros((len(part), width - 1))
    advantages = torch.tensor([a for _, _, a in part])
    for row, (prompt, completion, _) in enumerate(part):
        sequence = prompt + completion
        ids[row, : len(sequence)] = torch.tensor(sequence)
        attention[row, : len(sequence)] = 1
        mask[row, len(prompt) - 1 : len(sequence) - 1] = 1  # positions predicting completion tokens
    ids, attention = ids.to(engine.device), attention.to(engine.device)
    targets = ids[:, 1:]
    logprobs = token_logprobs(engine(input_ids=ids, attention_mask=attention).logits[:, :-1], targets)
    with torch.no_grad():
        ref_logprobs = token_logprobs(reference(input_ids=ids, attention_mask=attention).logits[:, :-1], targets)
    mask = mask.to(logprobs.device)
    # One update per step on fresh rollouts: the behaviour policy is the current one.
    policy_loss, _ = clipped_policy_loss(
        logprobs, logprobs.detach(), advantages.to(logprobs.device), mask, cfg.clip_low, cfg.clip_high, cfg.dual_clip
    )
    kl = masked_mean(low_var_kl(logprobs, ref_logprobs), mask)
    loss = policy_loss + cfg.kl_coef * kl
    engine.backward(loss)
    engine.step()
    return loss.item(), kl.item()
