"""ReBO: on-policy RL (GRPO, REINFORCE++, PPO) from the RS checkpoint with the refusal reward.

Own loop on DeepSpeed rather than TRL's GRPOTrainer or OpenRLHF (the evidence is in the
README, "Why ReBO runs its own loop"): TRL computes advantages inline as r - group mean and
cannot express the release's REINFORCE++ (no group baseline, token-whitened), trl 1.16 ships
no PPO trainer, its colocated vLLM needs CUDA, and it declares vLLM 0.22-0.31; OpenRLHF needs
Ray and CUDA. Either would leave the GPU path untested here. This loop runs the same code on
one CPU process and on N GPU ranks, and takes the scale machinery from the maintained
libraries, called the way TRL's colocate mode calls them: DeepSpeed ZeRO-3 for the policy, the
critic (PPO) and a partitioned reference (`training.engine`), vLLM in-process on each rank
(`external_launcher`) with sleep mode during the update and weights streamed in place one
gathered tensor at a time (`generation.vllm_backend`).

A step: every rank draws the same global prompts and keeps its share (`rank::world`), rolls
out, scores with the one reward; rewards (and response lengths, and PPO's raw advantages) are
gathered so that every rank computes the advantages of the whole batch with the one definition
(`rl.algorithms`), then each updates on its own sequences, `num_iterations` times (the clip
ratios act from the second pass on). A killed run resumes from its last checkpoint with the
same prompt order. Every `eval_every` steps the policy, pushed into the rollout engine, is asked
the target's probes (`evaluation.checkpoints`): the points of its trade-off curve.
"""

from __future__ import annotations

import dataclasses
import random
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from rulepipe.data.rl_rows import RLRow, read_rows
from rulepipe.data.target import Target
from rulepipe.evaluation.checkpoints import due, evaluate_checkpoint, write_checkpoints
from rulepipe.io import DataError
from rulepipe.prompts import pad_id, stop_token_ids
from rulepipe.reward import RewardWeights, is_refusal, refusal_reward
from rulepipe.rl.algorithms import (
    clipped_policy_loss,
    grpo_advantages,
    low_var_kl,
    masked_mean,
    reinforce_pp_advantages,
    reinforce_pp_baseline_advantages,
    token_logprobs,
)
from rulepipe.rl.batch import Sample, all_ranks, pack
from rulepipe.rl.ppo import ppo_advantages
from rulepipe.rl.registry import ALGORITHMS
from rulepipe.rl.rollouts import push_weights, rollout, rollout_generator
from rulepipe.training.checkpoints import checkpoint_written, fingerprint, save_checkpoint
from rulepipe.training.engine import TrainConfig, finish, frozen_reference, open_session, progress


@dataclass
class ReboConfig:
    """Built from the validated `rule.rebo` section (the schema holds the defaults and help)."""

    algorithm: str
    steps: int
    prompts_per_step: int  # half forget, half boundary; across all ranks
    rollouts: int
    temperature: float
    top_p: float
    max_new_tokens: int
    stop_at_newline: bool
    train_stop_token: bool
    num_iterations: int
    learning_rate: float
    weight_decay: float
    kl_coef: float
    clip_low: float
    clip_high: float
    dual_clip: float
    micro_batch_size: int
    checkpoint_every: int
    eval_every: int
    critic_learning_rate: float
    critic_offload: str
    gamma: float
    lam: float
    value_clip: float
    prompt_format: str = "bare"


def pick_prompts(forget: list[RLRow], boundary: list[RLRow], count: int, step: int, seed: int) -> list[RLRow]:
    """The step's prompts: a seeded draw, half from each side (the same draw after a resume)."""
    rng = random.Random(seed * 7919 + step)
    half = count // 2
    return rng.sample(forget, min(half, len(forget))) + rng.sample(boundary, min(count - half, len(boundary)))


def advantages_of(algorithm: str, rewards: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """rewards and response lengths [prompts, rollouts] of the whole step (every rank's) ->
    per-sequence advantages, same shape (PPO's are per token: `ppo_advantages`)."""
    if algorithm == "grpo":
        return grpo_advantages(rewards)
    if algorithm == "rpp":
        return reinforce_pp_advantages(rewards, lengths)
    if algorithm == "rpp-baseline":
        return reinforce_pp_baseline_advantages(rewards)
    raise ValueError(f"no sequence-level advantage for ReBO algorithm {algorithm!r} (one of {sorted(ALGORITHMS)})")


def rebo(
    policy_dir: str,
    rl_data: str,
    out_dir: str,
    params: dict,
    algorithm: str,
    seed: int = 0,
    target_path: str | None = None,
    checkpoints_out: str | None = None,
) -> dict:
    """One ReBO run -> the policy (an HF directory at `out_dir`); with a target, its in-loop
    evaluations every `eval_every` steps -> `checkpoints_out`."""
    settings = {k: v for k, v in params["rule"]["rebo"].items() if k != "algorithms"}
    cfg = ReboConfig(algorithm=algorithm, prompt_format=params["rule"]["prompt_format"], **settings)
    weights = RewardWeights(**params["rule"]["reward"])
    rows = read_rows(rl_data)
    forget = [r for r in rows if r.forget]
    boundary = [r for r in rows if not r.forget]
    world = params["training"]["num_processes"]  # the config check makes prompts_per_step a multiple
    checkpoint_dir = Path(f"{out_dir}.ckpt")
    policy_cfg = train_config(cfg, world, seed, params, cfg.learning_rate)
    mark = fingerprint(
        policy_cfg,
        policy_dir,
        [row.to_json() for row in rows],
        rebo=cfg.__dict__,
        reward=params["rule"]["reward"],
        generation=params["generation"],
    )
    session = open_session(policy_dir, policy_cfg, cfg.steps, checkpoint_dir, mark)
    if session.world != world:
        raise DataError(f"training.num_processes is {world} but {session.world} processes were started")
    critic = None
    if ALGORITHMS[algorithm].critic:  # a value model from the same checkpoint, its head fresh (the release's)
        critic_cfg = critic_config(train_config(cfg, world, seed, params, cfg.critic_learning_rate), cfg)
        critic = open_session(policy_dir, critic_cfg, cfg.steps, checkpoint_dir / "critic", mark, head="value")
        if critic.step != session.step:  # a kill between the two saves
            raise DataError(
                f"{checkpoint_dir}: the policy checkpoint is at step {session.step} but the critic's at "
                f"{critic.step}; delete the directory to start this run again"
            )
    reference = frozen_reference(policy_dir, session)
    probes = (Target.load(target_path), params["evaluation"]["max_new_tokens"]) if target_path else None
    with rollout_generator(policy_dir, session, params["generation"], seed) as generator:
        started, models = time.time(), (session, critic, reference, generator)
        timings = run_steps(models, (forget, boundary), cfg, weights, seed, checkpoint_dir, started, probes)
        if checkpoints_out and session.rank == 0:
            write_checkpoints(checkpoints_out, session.history)
        log = {
            "algorithm": cfg.algorithm,
            "config": cfg.__dict__,
            "history": session.history,
            "prompts": len(rows),
            "world_size": world,
        }
        resources = {"seconds_after_resume": round(time.time() - started, 1), "seconds_per_step": timings}
        # saved before the generator closes: closing vLLM tears down the process group the gather needs
        finish(session, out_dir, log, checkpoint_dir, resources)
    return log


def run_steps(
    models, rows, cfg: ReboConfig, weights, seed: int, checkpoint_dir: Path, started: float, probes=None
) -> list:
    """Steps from the session's (a resumed run's) to the last: rollout, score, advantages,
    update, log, an evaluation every `eval_every` (with `probes`: the target and the new-token
    limit) and a checkpoint every `checkpoint_every`. `models`: the policy's session, the
    critic's (PPO) or None, the frozen reference, the rollout engine; `rows`: (forget, boundary).
    The history grows in the session (it travels in the checkpoint); returns the seconds each
    step spent generating, training and pushing weights to the engine."""
    session, critic, reference, generator = models
    world, first_step = session.world, session.step
    stops = stop_token_ids(session.tokenizer, newlines=cfg.stop_at_newline)
    pushes = hasattr(generator, "update_weights")  # vLLM holds its own copy of the weights
    stale = pushes and session.step > 0  # a resumed run's engine was loaded from disk, not the checkpoint
    timings = []
    for step in range(session.step, cfg.steps):
        t_sync = push_weights(generator, session) if stale else 0.0
        batch = pick_prompts(*rows, cfg.prompts_per_step, step, seed)[session.rank :: world]
        samples, rollouts, t_gen = rollout(generator, session, batch, cfg, stops, seed, step)
        rewards = score(batch, rollouts, weights)
        t1 = time.time()
        if critic is None:
            assign_advantages(samples, step_advantages(cfg.algorithm, rewards, samples, session))
            critic_stats = {}
        else:
            critic_stats = ppo_advantages(critic, samples, rewards, cfg)
        stats = update(session, reference, samples, cfg)
        t_train = time.time() - t1
        stale = pushes
        timings.append(
            {"step": step + 1, "generate": round(t_gen, 2), "train": round(t_train, 2), "sync": round(t_sync, 2)}
        )
        record = log_step(step, batch, rollouts, rewards, stats | critic_stats, session, cfg, started, first_step)
        if probes is not None and due(step + 1, cfg.eval_every, cfg.steps):
            if pushes:  # the engine generates with the weights just learned (the push counts as the step's sync)
                timings[-1]["sync"] = round(timings[-1]["sync"] + push_weights(generator, session), 2)
                stale = False
            record["evaluation"] = evaluate_policy(generator, session, probes, step + 1)
        session.history.append(record)
        if cfg.checkpoint_every and (step + 1) % cfg.checkpoint_every == 0 and step + 1 < cfg.steps:
            save_checkpoint(session.engine, checkpoint_dir, step + 1, session.history)
            if critic is not None:
                save_checkpoint(critic.engine, checkpoint_dir / "critic", step + 1)
            checkpoint_written(step + 1)
    return timings


def evaluate_policy(generator, session, probes, step: int) -> dict:
    """The policy after `step` steps asked the target's probes (every rank asks all of them: the
    ranks of a tensor-parallel engine, or of HF generation under ZeRO-3, step together)."""
    target, max_new_tokens = probes
    session.engine.eval()
    record = evaluate_checkpoint(generator, target, step, max_new_tokens, "rebo" if session.rank == 0 else None)
    session.engine.train()
    return record


def train_config(cfg: ReboConfig, world: int, seed: int, params: dict, learning_rate: float) -> TrainConfig:
    """The engine settings of the policy (or the critic): one optimizer step per pass over this
    rank's sequences, constant learning rate without warm-up (the release's). Epochs and
    max_length do not apply: ReBO counts steps and generates its own sequences."""
    local_sequences = cfg.prompts_per_step // world * cfg.rollouts
    return TrainConfig.from_sections(
        {},
        params["training"],
        seed,
        epochs=1,
        learning_rate=learning_rate,
        micro_batch_size=cfg.micro_batch_size,
        gradient_accumulation=max(1, -(-local_sequences // cfg.micro_batch_size)),
        max_length=0,
        warmup_ratio=0.0,
        warmup_steps=None,
        weight_decay=cfg.weight_decay,
        scheduler="constant",
        checkpoint_every=cfg.checkpoint_every,
    )


def critic_config(engine: TrainConfig, cfg: ReboConfig) -> TrainConfig:
    """The critic's engine settings: the policy's, with `critic_offload` moving its optimizer
    state (and, for `all`, its ZeRO-3 parameter partitions) to host memory."""
    if cfg.critic_offload == "none":
        return engine
    offload_params = engine.offload_params or cfg.critic_offload == "all"
    return dataclasses.replace(engine, offload_optimizer=True, offload_params=offload_params)


def score(batch: list[RLRow], rollouts, weights: RewardWeights) -> torch.Tensor:
    """The verifiable reward of each completion: [prompts, rollouts]."""
    return torch.tensor(
        [
            [
                refusal_reward(c.text, r.label, list(r.names) or None, None if r.forget else r.answer, weights)
                for c in completions
            ]
            for r, completions in zip(batch, rollouts)
        ]
    )


def step_advantages(algorithm: str, rewards: torch.Tensor, samples: list[Sample], session) -> torch.Tensor:
    """Per-sequence advantages over the whole step's batch (REINFORCE++ whitens across every
    rank's response tokens), then this rank's rows."""
    lengths = [
        [len(s.completion) for s in samples[i : i + rewards.shape[1]]] for i in range(0, len(samples), rewards.shape[1])
    ]
    everyone = all_ranks((rewards.tolist(), lengths), session.world)
    full = advantages_of(
        algorithm,
        torch.tensor([row for part, _ in everyone for row in part]),
        torch.tensor([row for _, part in everyone for row in part]),
    )
    mine = rewards.shape[0]
    return full[session.rank * mine : (session.rank + 1) * mine]


def assign_advantages(samples: list[Sample], advantages: torch.Tensor) -> None:
    """A sequence's advantage on each of its tokens."""
    for sample, value in zip(samples, advantages.flatten().tolist(), strict=True):
        sample.advantages = [value] * len(sample.completion)


def update(session, reference, samples: list[Sample], cfg: ReboConfig) -> dict:
    """`num_iterations` optimizer steps over this rank's sequences, each in micro-batches
    (gradient accumulation). The behaviour policy's log-probs are the rollout-time ones, so
    from the second pass on the ratio leaves 1 and the clip acts; with one pass it is inert."""
    engine = session.engine
    packed = [
        pack(samples[i : i + cfg.micro_batch_size], pad_id(session.tokenizer), engine.device)
        for i in range(0, len(samples), cfg.micro_batch_size)
    ]
    with torch.no_grad(), session.forward_precision():
        ref = [
            token_logprobs(reference(input_ids=ids, attention_mask=att).logits[:, :-1], ids[:, 1:])
            for ids, att, _, _ in packed
        ]
        old = None
        if cfg.num_iterations > 1:
            engine.eval()
            old = [
                token_logprobs(engine(input_ids=ids, attention_mask=att).logits[:, :-1], ids[:, 1:])
                for ids, att, _, _ in packed
            ]
            engine.train()
    losses, kls, clipped = [], [], []
    for _ in range(cfg.num_iterations):
        for k, (ids, att, mask, advantages) in enumerate(packed):
            with session.forward_precision():
                logprobs = token_logprobs(engine(input_ids=ids, attention_mask=att).logits[:, :-1], ids[:, 1:])
                behaviour = logprobs.detach() if old is None else old[k]
                policy_loss, info = clipped_policy_loss(
                    logprobs, behaviour, advantages, mask, cfg.clip_low, cfg.clip_high, cfg.dual_clip
                )
                kl = masked_mean(low_var_kl(logprobs, ref[k]), mask)
                loss = policy_loss + cfg.kl_coef * kl
            engine.backward(loss)
            engine.step()
            losses.append(loss.item())
            kls.append(kl.item())
            clipped.append(info["clip_fraction"])
    return {"loss": sum(losses) / len(losses), "kl": sum(kls) / len(kls), "clip_fraction": sum(clipped) / len(clipped)}


def log_step(step, batch, rollouts, rewards, stats, session, cfg, started, first_step) -> dict:
    """The step's record over every rank's rollouts (rank 0 prints it)."""
    is_forget = [r.forget for r in batch]
    local = {
        "rewards": rewards.tolist(),
        "forget": is_forget,
        "refused": [[float(is_refusal(c.text)) for c in cs] for cs in rollouts],
        "tokens": [len(c.token_ids) for cs in rollouts for c in cs],
        "stats": stats,
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
        **{key: sum(p["stats"][key] for p in parts) / len(parts) for key in stats},
        "response_tokens": sum(tokens) / len(tokens),
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
