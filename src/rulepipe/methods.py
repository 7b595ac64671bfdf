"""One home for what a method is (torch-free: the Snakefile, the config check, the stages and the
report all read it), in the way open-unlearning keeps one trainer registry.

A method has a display name (the table's row), a family (the trade-off figure's), how its model
is made (`model`: the shared base or original model, RULE's stages, or a baseline run), whether
it prompts the original model with RWKU's unlearning instruction (ICU), what its "# Tokens"
columns count (`tokens`), and for a baseline the loss it trains (objective, regularizer:
`training.methods`). ReBO's algorithms come from `rl.registry`.

A sweep point (`npo-lr3e-05`) is its method's run at another learning rate, and a checkpoint
(`rule-grpo-step4`, `npo-step12`) its run evaluated part-way through training: `method_of`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rulepipe.rl.registry import ALGORITHMS


@dataclass(frozen=True)
class Method:
    name: str
    display: str
    family: str | None  # the trade-off figure's family; None: a reference row, not a method
    model: str  # "base" | "original" (shared models) | "rule" (rule.smk) | "unlearn" (baselines.smk)
    tokens: str  # the "# Tokens" columns: "none" | "rs" | "rule" (rs_data.json) | "forget" | "forget+retain"
    prompts_target: bool = False  # ICU: the original model, asked with RWKU's unlearning instruction
    objective: str | None = None  # a trained baseline's loss (`training.methods.OBJECTIVES`)
    regularizer: str | None = None  # its retain term (`training.methods.REGULARIZERS`)

    @property
    def trained_baseline(self) -> bool:
        return self.model == "unlearn"

    @property
    def needs_answers(self) -> bool:
        """DPO prefers a refusal over the original model's own answer (`original_answers`)."""
        return self.objective == "dpo"


def _baseline(objective: str, display: str, family: str, regularizer: str | None = None) -> Method:
    name = f"{objective}-{regularizer}" if regularizer else objective
    tokens = "forget+retain" if regularizer else "forget"
    return Method(name, display, family, "unlearn", tokens, objective=objective, regularizer=regularizer)


_ENTRIES = [
    Method("base", "Base (never learned)", None, "base", "none"),
    Method("original", "Original", None, "original", "none"),
]
for _objective, _display in (("ga", "GA"), ("npo", "NPO"), ("simnpo", "SimNPO")):
    _ENTRIES += [
        _baseline(_objective, _display, _display),
        _baseline(_objective, f"{_display}+GDR", _display, "gdr"),
        _baseline(_objective, f"{_display}+KLR", _display, "klr"),
    ]
_ENTRIES += [
    _baseline("rt", "RT", "RT"),
    _baseline("dpo", "DPO", "DPO"),
    Method("icu", "ICU", "ICU", "original", "none", prompts_target=True),
    Method("rs", "RS only", "RULE", "rule", "rs"),
    *(Method(f"rule-{name}", algorithm.display, "RULE", "rule", "rule") for name, algorithm in ALGORITHMS.items()),
]
METHODS: dict[str, Method] = {method.name: method for method in _ENTRIES}  # in the table's row order
# The baselines a config may list (`baselines.methods`; the schema's enum equals this).
BASELINES = tuple(name for name, m in METHODS.items() if m.trained_baseline or m.prompts_target)
SWEEP_SUFFIX = re.compile(r"(-lr[0-9.e+-]+?)?(-step[0-9]+)?$")
CHECKPOINT_SUFFIX = re.compile(r"-step([0-9]+)$")


def method_of(run: str) -> Method | None:
    """The method of a run: `npo-lr3e-05` (a sweep point), `rule-grpo-step4` (a checkpoint)
    -> its method's entry; None if unknown."""
    return METHODS.get(SWEEP_SUFFIX.sub("", run, count=1))


def checkpoint_run(run: str, step: int) -> str:
    """The name of `run`'s evaluation after `step` training steps (a point of its curve)."""
    return f"{run}-step{step}"


def curve_of(run: str) -> tuple[str, int | None]:
    """(the run a point belongs to, its step; None for the finished run)."""
    found = CHECKPOINT_SUFFIX.search(run)
    return (run[: found.start()], int(found.group(1))) if found else (run, None)


def prompts_target(run: str) -> bool:
    """Whether a run's model is asked with the unlearning instruction (ICU)."""
    method = method_of(run)
    return method is not None and method.prompts_target
