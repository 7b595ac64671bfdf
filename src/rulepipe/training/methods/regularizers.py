"""Retain-side terms: GDR (NLL on the retain corpus) and KLR (KL from the original model's
next-token distribution to the current one on the retain corpus, per labelled token)."""

import torch

from rulepipe.training.data import IGNORE
from rulepipe.training.methods.common import forward, nll


def gdr(model, batch, reference):
    return nll(model, batch, "retain_")


def klr(model, batch, reference):
    logits = forward(model, batch, "retain_")[:, :-1].float()
    with torch.no_grad():
        ref_logits = forward(reference, batch, "retain_")[:, :-1].float()
    mask = (batch["retain_labels"][:, 1:] != IGNORE).float()
    ref_logp = torch.log_softmax(ref_logits, dim=-1)
    kl = (ref_logp.exp() * (ref_logp - torch.log_softmax(logits, dim=-1))).sum(-1)
    return (kl * mask).sum() / mask.sum().clamp(min=1)
