"""Advantages and losses of the RL algorithms RULE compares, as plain tensor functions.

Definitions follow the release (a verl / EasyR1 fork; PAPER.md section 1), outcome reward on
the last response token, gamma = lambda = 1:
- `grpo`: (r - group mean) / (group std + eps), per sequence;
- `rpp`: the release's `reinforce_plus_plus`: no baseline, every response token's return is
  its sequence's reward, whitened over every response token of the batch;
- `rpp-baseline`: this project's earlier variant, r - group mean, whitened over sequences;
- `ppo`: GAE on a learned critic's values, whitened over every response token, and the
  critic's clipped value loss (`cliprange_value` 0.5).
Then a PPO-style clipped ratio with asymmetric clip (0.2 / 0.3) and dual clip (3.0), token-mean
aggregation, and the "low_var_kl" estimator of KL(policy || reference) as a loss term.
"""

from __future__ import annotations

import torch


def grpo_advantages(rewards: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """rewards [prompts, k] -> (r - group mean) / (group std + eps); a constant group gets 0."""
    mean = rewards.mean(dim=1, keepdim=True)
    std = rewards.std(dim=1, keepdim=True, unbiased=True) if rewards.shape[1] > 1 else torch.zeros_like(mean)
    return (rewards - mean) / (std + eps)


def reinforce_pp_advantages(rewards: torch.Tensor, lengths: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """The release's REINFORCE++: rewards [prompts, k] and response lengths [prompts, k] ->
    (r - token mean) / sqrt(token var + eps), mean and (unbiased) variance over every response
    token of the batch, so a long response weighs by its length; no group baseline, so a group
    whose rewards are all equal still gets a signal. Constant within a sequence."""
    weights = lengths.to(rewards.dtype)
    tokens = weights.sum()
    if tokens < 2:
        return torch.zeros_like(rewards)
    mean = (rewards * weights).sum() / tokens
    var = ((rewards - mean) ** 2 * weights).sum() / (tokens - 1)
    return (rewards - mean) * torch.rsqrt(var + eps)


def reinforce_pp_baseline_advantages(rewards: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """REINFORCE++ with the group mean as baseline, then normalised by the batch's mean and std
    over sequences (`rpp-baseline`)."""
    centred = (rewards - rewards.mean(dim=1, keepdim=True)).flatten()
    if centred.numel() < 2:
        return torch.zeros_like(rewards)
    return ((centred - centred.mean()) / (centred.std(unbiased=True) + eps)).view_as(rewards)


def whitening(count: float, total: float, squares: float, eps: float = 1e-8) -> tuple[float, float]:
    """(mean, 1 / sqrt(unbiased var + eps)) from a masked batch's count, sum and sum of squares
    (sums that add up across ranks)."""
    mean = total / max(count, 1)
    var = (squares - count * mean**2) / max(count - 1, 1)
    return mean, (var + eps) ** -0.5


def gae(rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float = 1.0, lam: float = 1.0):
    """Generalised advantage estimation on right-padded responses: token rewards, critic values
    and mask [batch, tokens] -> (raw advantages, returns); returns = advantages + values."""
    advantages = torch.zeros_like(values)
    running = torch.zeros_like(values[:, 0])
    next_value = torch.zeros_like(values[:, 0])
    for t in reversed(range(values.shape[1])):
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        running = (delta + gamma * lam * running) * mask[:, t]
        advantages[:, t] = running
        next_value = torch.where(mask[:, t] > 0, values[:, t], next_value)
    return advantages, (advantages + values) * mask


def value_loss(predicted, returns, old_values, mask, clip: float = 0.5) -> torch.Tensor:
    """The critic's clipped value loss: 0.5 * token-mean of max((v - R)^2, (clip(v) - R)^2),
    the prediction clipped to within `clip` of the rollout-time value."""
    clipped = old_values + (predicted - old_values).clamp(-clip, clip)
    return 0.5 * masked_mean(torch.maximum((predicted - returns) ** 2, (clipped - returns) ** 2), mask)


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Token-mean over every unmasked token of the batch."""
    return (values * mask).sum() / mask.sum().clamp(min=1)


def low_var_kl(logprobs: torch.Tensor, ref_logprobs: torch.Tensor, clamp: float = 10.0) -> torch.Tensor:
    """Per-token k3 estimator of KL(pi || ref): exp(ref - pi) - (ref - pi) - 1 (>= 0, low variance)."""
    log_ratio = (ref_logprobs - logprobs).clamp(-clamp, clamp)
    return (torch.exp(log_ratio) - log_ratio - 1).clamp(-clamp, clamp)


def clipped_policy_loss(
    logprobs: torch.Tensor,
    old_logprobs: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    clip_low: float = 0.2,
    clip_high: float = 0.3,
    dual_clip: float = 3.0,
) -> tuple[torch.Tensor, dict[str, float]]:
    """PPO's clipped surrogate with dual clip for negative advantages; token-mean.

    logprobs, old_logprobs, mask: [batch, tokens]; advantages: [batch] or [batch, tokens]."""
    if advantages.dim() == 1:
        advantages = advantages[:, None].expand_as(logprobs)
    ratio = torch.exp(logprobs - old_logprobs)
    unclipped = -advantages * ratio
    clipped = -advantages * ratio.clamp(1 - clip_low, 1 + clip_high)
    surrogate = torch.maximum(unclipped, clipped)
    bounded = torch.minimum(surrogate, -advantages * dual_clip)
    per_token = torch.where(advantages < 0, bounded, surrogate)
    loss = masked_mean(per_token, mask)
    with torch.no_grad():
        clip_fraction = masked_mean((clipped > unclipped).float(), mask).item()
    return loss, {"clip_fraction": clip_fraction, "ratio_mean": masked_mean(ratio.detach(), mask).item()}


def token_logprobs(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """log p(token_t | prefix) for each position: logits [B, T, V] predicting tokens [B, T]."""
    return torch.log_softmax(logits.float(), dim=-1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1)
