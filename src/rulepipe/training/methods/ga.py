"""Gradient ascent: raise the forget corpus's NLL."""

from rulepipe.training.methods.common import nll


def loss(model, batch, reference, hparams):
    return -nll(model, batch)
