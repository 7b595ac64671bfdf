"""Rejection tuning (RWKU's RT): supervised fine-tuning on refusals to forget questions."""

from rulepipe.training.methods.common import nll


def loss(model, batch, reference, hparams):
    return nll(model, batch)
