"""DPO with the refusal preferred (the main rows) over the original model's own answer
(the `rejected_` rows), against the frozen original model."""

import torch.nn.functional as F

from rulepipe.training.methods.common import forward, reference_logprob, sequence_logprob


def loss(model, batch, reference, hparams):
    beta = hparams["dpo_beta"]
    chosen, _ = sequence_logprob(forward(model, batch), batch["labels"])
    rejected, _ = sequence_logprob(forward(model, batch, "rejected_"), batch["rejected_labels"])
    margin = (chosen - reference_logprob(reference, batch)) - (
        rejected - reference_logprob(reference, batch, "rejected_")
    )
    return -F.logsigmoid(beta * margin).mean()
