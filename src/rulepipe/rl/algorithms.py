"""Advantages and losses of the RL algorithms RULE compares, as plain tensor functions.

Definitions follow the released settings (PAPER.md section 1): GRPO's group-normalised
advantage, REINFORCE++ (batch-normalised, optionally with the group mean as baseline), a
PPO-style clipped ratio with asymmetric clip (0.2 / 0.3) and dual clip (3.0), token-mean
aggregation, and the "low_var_kl" estimator of KL(policy || reference) as a loss term.
"""

from __future__ import annotations

import torch


def grpo_advantages(rewards: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """rewards [prompts, k] -> (r - group mean) / (group std + eps); a constant group gets 0."""
    mean = rewards.mean(dim=1, keepdim=True)
    std = rewards.std(dim=1, keepdim=True, unbiased=True) if rewards.shape[1] > 1 else torch.zeros_like(mean)
    return (rewards - mean) / (std + eps)


def reinforce_pp_advantages(rewards: torch.Tensor, group_baseline: bool = True, eps: float = 1e-6) -> torch.Tensor:
    """REINFORCE++: subtract a baseline (the group mean for the "-baseline" variant, else none),
    then normalise by the whole batch's mean and std."""
    centred = rewards - rewards.mean(dim=1, keepdim=True) if group_baseline else rewards
    flat = centred.flatten()
    return (centred - flat.mean()) / (flat.std(unbiased=True) + eps) if flat.numel() > 1 else centred * 0


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
