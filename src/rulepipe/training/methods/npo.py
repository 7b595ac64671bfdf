"""NPO (Zhang et al. 2024): (2/beta) * softplus(beta * (log pi(y) - log pi_ref(y))), i.e.
-(2/beta) log sigma(-beta log-ratio); bounded, unlike gradient ascent."""

import torch.nn.functional as F

from rulepipe.training.methods.common import forward, reference_logprob, sequence_logprob


def loss(model, batch, reference, hparams):
    beta = hparams["npo_beta"]
    logp, _ = sequence_logprob(forward(model, batch), batch["labels"])
    ratio = logp - reference_logprob(reference, batch)
    return (2.0 / beta) * F.softplus(beta * ratio).mean()
