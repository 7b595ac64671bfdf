"""SimNPO (Fan et al. 2024): reference-free, length-normalised NPO,
-(2/beta) log sigma(beta * NLL/|y| - gamma) = (2/beta) softplus(beta * log pi(y)/|y| + gamma)."""

import torch.nn.functional as F

from rulepipe.training.methods.common import forward, sequence_logprob


def loss(model, batch, reference, hparams):
    beta, gamma = hparams["simnpo_beta"], hparams["simnpo_gamma"]
    logp, count = sequence_logprob(forward(model, batch), batch["labels"])
    return (2.0 / beta) * F.softplus(beta * logp / count.clamp(min=1) + gamma).mean()
