"""ReBO: on-policy RL (GRPO, REINFORCE++) from the RS checkpoint with the refusal reward.

Own loop rather than TRL's GRPOTrainer: on a CPU-only machine TRL's vLLM colocation needs a
CUDA process group, and its trainer runs DeepSpeed through accelerate; here the policy is a
DeepSpeed ZeRO engine (`training.engine`), rollouts come from a vLLM engine that receives the
policy's new weights in place after every update (HF `generate` on the policy itself where
vLLM is absent), the reference for the KL loss is the RS checkpoint, and a killed run resumes
from its last checkpoint with the same prompt order.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from rulepipe.generation import SamplingConfig, make_generator, vllm_available
from rulepipe.io import read_json
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
from rulepipe.training.engine import TrainConfig, finish, full_state_dict, open_session, progress, save_checkpoint


@dataclass
class ReboConfig:
    algorithm: str = "grpo"  # grpo | rpp (REINFORCE++ with the group mean as baseline)
    steps: int = 15
    prompts_per_step: int = 8  # half forget, half boundary
    rollouts: int = 4
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 32
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


def rebo(policy_dir: str, rl_data: str, out_dir: str, params: dict, algorithm: str, seed: int = 0) -> dict:
    from transformers import AutoModelForCausalLM

    settings = {k: v for k, v in params["rule"]["rebo"].items() if k != "algorithms"}
    cfg = ReboConfig(algorithm=algorithm, **settings)
    weights = RewardWeights(**params["rule"]["reward"])
    rows = read_json(rl_data)
    forget = [r for r in rows if r["solution"][0] == "<reject>"]
    boundary = [r for r in rows if r["solution"][0] == "<normal>"]
    sequences_per_step = cfg.prompts_per_step * cfg.rollouts
    accumulation = max(1, -(-sequences_per_step // cfg.micro_batch_size))
    train_cfg = TrainConfig(
        learning_rate=cfg.learning_rate,
        weight_decay=cfg.weight_decay,
        micro_batch_size=cfg.micro_batch_size,
        gradient_accumulation=accumulation,
        scheduler="constant",
        warmup_ratio=0.0,
        grad_clip=1.0,
        zero_stage=params["training"]["zero_stage"],
        seed=seed,
    )
    checkpoint_dir = Path(f"{out_dir}.ckpt")
    session = open_session(policy_dir, train_cfg, cfg.steps, checkpoint_dir)
    engine, tokenizer = session.engine, session.tokenizer
    reference = AutoModelForCausalLM.from_pretrained(policy_dir, dtype=session.model.dtype).eval()
    for parameter in reference.parameters():
        parameter.requires_grad_(False)
    gen = params["generation"]
    use_vllm = gen["backend"] == "vllm" or (gen["backend"] == "auto" and vllm_available())
    if use_vllm:
        generator = make_generator(
            policy_dir,
            "vllm",
            seed=seed,
            gpu_memory_utilization=gen["gpu_memory_utilization"],
            max_model_len=gen["max_model_len"],
        )
        if session.step:
            generator.update_weights(full_state_dict(session, train_cfg.zero_stage).items())
    else:
        from rulepipe.generation.hf_backend import HFGenerator

        generator = HFGenerator(
            policy_dir, seed=seed, batch_size=gen["batch_size"], model=engine.module, tokenizer=tokenizer
        )
    stops = stop_token_ids(tokenizer)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    history_path = checkpoint_dir / "history.jsonl"
    history = [json.loads(line) for line in history_path.read_text().splitlines()] if history_path.exists() else []
    history = history[: session.step]
    started, first_step = time.time(), session.step
    for step in range(session.step, cfg.steps):
        t0 = time.time()
        batch = pick_prompts(forget, boundary, cfg.prompts_per_step, step, seed)
        prompt_ids = [encode_prompt(tokenizer, render(tokenizer, *rl_turn(r["prompt"], r["format"]))) for r in batch]
        engine.eval()
        sampling = SamplingConfig(
            n=cfg.rollouts,
            temperature=cfg.temperature,
            top_p=cfg.top_p,
            max_tokens=cfg.max_new_tokens,
            seed=seed * 100003 + step,
        )
        rollouts = generator.generate(prompt_ids, sampling, stops)
        engine.train()
        t_gen = time.time() - t0
        rewards = torch.tensor(
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
        if cfg.algorithm == "grpo":
            advantages = grpo_advantages(rewards)
        elif cfg.algorithm == "rpp":
            advantages = reinforce_pp_advantages(rewards, group_baseline=True)
        else:
            raise ValueError(f"unknown ReBO algorithm {cfg.algorithm!r} (grpo or rpp)")
        samples = [
            (prompt_ids[i], list(c.token_ids), advantages[i, j].item())
            for i, completions in enumerate(rollouts)
            for j, c in enumerate(completions)
        ]
        t1 = time.time()
        losses, kls = [], []
        for start in range(0, accumulation * cfg.micro_batch_size, cfg.micro_batch_size):
            part = samples[start : start + cfg.micro_batch_size] or samples[:1]
            loss, kl = _micro_step(engine, reference, part, pad_id, cfg)
            losses.append(loss)
            kls.append(kl)
        t_train = time.time() - t1
        t2 = time.time()
        if use_vllm:
            generator.update_weights(full_state_dict(session, train_cfg.zero_stage).items())
        t_sync = time.time() - t2
        is_forget = torch.tensor([r["solution"][0] == "<reject>" for r in batch])
        refusals = torch.tensor([[float(is_refusal(c.text)) for c in cs] for cs in rollouts])
        record = {
            "step": step + 1,
            "reward_forget": rewards[is_forget].mean().item(),
            "reward_boundary": rewards[~is_forget].mean().item(),
            "refusal_rate_forget": refusals[is_forget].mean().item(),
            "refusal_rate_boundary": refusals[~is_forget].mean().item(),
            "kl": sum(kls) / len(kls),
            "loss": sum(losses) / len(losses),
            "response_tokens": sum(len(s[1]) for s in samples) / len(samples),
            "seconds_generate": round(t_gen, 2),
            "seconds_train": round(t_train, 2),
            "seconds_sync": round(t_sync, 2),
        }
        history.append(record)
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
        if cfg.checkpoint_every and (step + 1) % cfg.checkpoint_every == 0 and step + 1 < cfg.steps:
            save_checkpoint(engine, checkpoint_dir, step + 1, 1)
            history_path.write_text("".join(json.dumps(h) + "\n" for h in history))
    generator.close()
    log = {
        "algorithm": cfg.algorithm,
        "config": cfg.__dict__,
        "history": history,
        "prompts": len(rows),
        "seconds": time.time() - started,
    }
    finish(session, out_dir, train_cfg.zero_stage, log, checkpoint_dir)
    return log


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
