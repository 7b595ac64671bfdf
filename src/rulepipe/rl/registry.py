"""One home for ReBO's algorithms (torch-free, so the CLI and the report can read it): the
schema's choices, the rules' wildcards and the table's rows come from here; the maths is in
`rl.algorithms`, the loop in `rl.rebo`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Algorithm:
    display: str  # the table's row name
    critic: bool  # trains a value model beside the policy


ALGORITHMS = {
    "grpo": Algorithm("ReBO (GRPO)", critic=False),
    "rpp": Algorithm("ReBO (REINFORCE++)", critic=False),
    "rpp-baseline": Algorithm("ReBO (REINFORCE++ w/ baseline)", critic=False),
    "ppo": Algorithm("ReBO (PPO)", critic=True),
}
