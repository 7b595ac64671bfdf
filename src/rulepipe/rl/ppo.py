"""ReBO's PPO (the release's `ppo_rj_rl.yaml`): a critic from the RS checkpoint with a fresh
one-output head, GAE with the outcome reward on the last response token, advantages whitened over
every response token of every rank, and a clipped value loss."""

from __future__ import annotations

import torch

from rulepipe.prompts import pad_id
from rulepipe.rl.algorithms import gae, value_loss, whitening
from rulepipe.rl.batch import Sample, all_ranks, pack


def ppo_advantages(critic, samples: list[Sample], rewards: torch.Tensor, cfg) -> dict:
    """PPO: the critic's values on every response token, GAE with the reward on the last
    token, advantages whitened over every response token of every rank (into `samples`); then
    the critic's update towards the returns. Returns the critic's log values."""
    packed = [
        pack(samples[i : i + cfg.micro_batch_size], pad_id(critic.tokenizer), critic.engine.device)
        for i in range(0, len(samples), cfg.micro_batch_size)
    ]
    values = critic_values(critic, packed)
    rewards_left = rewards.flatten().tolist()
    raw, returns = [], []
    for (_, _, mask, _), value in zip(packed, values):
        token_rewards = torch.zeros_like(value)
        for row in range(mask.shape[0]):  # the outcome reward sits on the last response token
            positions = mask[row].nonzero()
            reward = rewards_left.pop(0)
            if len(positions):
                token_rewards[row, positions[-1]] = reward
        advantage, ret = gae(token_rewards, value, mask, cfg.gamma, cfg.lam)
        raw.append(advantage)
        returns.append(ret)
    mean, scale = token_statistics([(a, m) for a, (_, _, m, _) in zip(raw, packed)], critic.world)
    for k, (advantage, (_, _, mask, _)) in enumerate(zip(raw, packed)):
        whitened = ((advantage - mean) * scale * mask).tolist()
        for row, sample in enumerate(samples[k * cfg.micro_batch_size : (k + 1) * cfg.micro_batch_size]):
            start = len(sample.prompt) - 1
            sample.advantages = whitened[row][start : start + len(sample.completion)]
    loss = update_critic(critic, packed, values, returns, cfg)
    count = sum(m.sum().item() for _, _, m, _ in packed)
    value_mean = sum((v * m).sum().item() for v, (_, _, m, _) in zip(values, packed)) / max(count, 1)
    return {"value_loss": loss, "value_mean": value_mean}


def critic_values(critic, packed) -> list[torch.Tensor]:
    """V at every position that predicts a completion token (0 elsewhere), per micro-batch."""
    critic.engine.eval()
    with torch.no_grad(), critic.forward_precision():
        values = [
            critic.engine(input_ids=ids, attention_mask=att).logits[:, :-1, 0].float() * mask
            for ids, att, mask, _ in packed
        ]
    critic.engine.train()
    return values


def token_statistics(parts: list[tuple[torch.Tensor, torch.Tensor]], world: int) -> tuple[float, float]:
    """Mean and 1 / sqrt(unbiased var + 1e-8) of the masked values over every rank's tokens."""
    count = sum(m.sum().item() for _, m in parts)
    total = sum((v * m).sum().item() for v, m in parts)
    squares = sum((v**2 * m).sum().item() for v, m in parts)
    return whitening(*(sum(x) for x in zip(*all_ranks((count, total, squares), world))))


def update_critic(critic, packed, values, returns, cfg) -> float:
    """`num_iterations` optimizer steps of the clipped value loss; its mean."""
    losses = []
    for _ in range(cfg.num_iterations):
        for (ids, att, mask, _), old, ret in zip(packed, values, returns):
            with critic.forward_precision():
                predicted = critic.engine(input_ids=ids, attention_mask=att).logits[:, :-1, 0].float()
                loss = value_loss(predicted, ret, old, mask, cfg.value_clip)
            critic.engine.backward(loss)
            critic.engine.step()
            losses.append(loss.item())
    return sum(losses) / len(losses)
