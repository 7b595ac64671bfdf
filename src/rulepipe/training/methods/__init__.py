"""Unlearning baselines as losses for the one DeepSpeed trainer: a registry of objectives
(one file each) and the two retain regularizers, composed by method name.

`ga`, `npo`, `simnpo` push the forget corpus away; `rt` fine-tunes on refusals; `dpo` prefers
a refusal over the original model's answer. A `-gdr` / `-klr` suffix adds gradient descent /
KL to the original model on the retain corpus (RWKU's and the paper's variants).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from rulepipe.training.methods import dpo, ga, npo, regularizers, rt, simnpo

OBJECTIVES = {"ga": ga, "npo": npo, "simnpo": simnpo, "rt": rt, "dpo": dpo}
REGULARIZERS = {"gdr": regularizers.gdr, "klr": regularizers.klr}
# What each objective trains on: a document corpus, or questions with responses.
CORPUS_OBJECTIVES = ("ga", "npo", "simnpo")


@dataclass(frozen=True)
class MethodSpec:
    name: str  # e.g. "npo-klr"
    objective: str  # a key of OBJECTIVES
    regularizer: str | None  # a key of REGULARIZERS

    @property
    def needs_reference(self) -> bool:
        return self.objective in ("npo", "dpo") or self.regularizer == "klr"


def parse_method(name: str) -> MethodSpec:
    objective, _, regularizer = name.partition("-")
    if objective not in OBJECTIVES or (regularizer and regularizer not in REGULARIZERS):
        known = sorted(OBJECTIVES) + [f"{o}-{r}" for o in CORPUS_OBJECTIVES for r in REGULARIZERS]
        raise ValueError(f"unknown unlearning method {name!r}; known: {', '.join(known)}")
    return MethodSpec(name, objective, regularizer or None)


Loss = Callable[[torch.nn.Module, dict[str, torch.Tensor], torch.nn.Module | None], torch.Tensor]


def make_loss(spec: MethodSpec, hparams: dict) -> Loss:
    """The training loss of a method: objective on the forget rows (+ weight x regularizer on
    the `retain_` rows). The trainer passes `reference`, the frozen original model beside the
    policy (`training.engine.frozen_reference`), where `spec.needs_reference`."""
    objective = OBJECTIVES[spec.objective]
    regularizer = REGULARIZERS[spec.regularizer] if spec.regularizer else None
    weight = hparams.get("retain_weight", 1.0)

    def loss(model: torch.nn.Module, batch: dict[str, torch.Tensor], reference=None) -> torch.Tensor:
        value = objective.loss(model, batch, reference, hparams)
        if regularizer is not None:
            value = value + weight * regularizer(model, batch, reference)
        return value

    return loss
