"""The rebo stage: ReBO online RL from the RS checkpoint, one algorithm (`rulepipe.rl.rebo`), and
its in-loop evaluations along the way (`checkpoints.json`)."""

from __future__ import annotations

from rulepipe.rl.rebo import rebo


def run(inputs: dict, outputs: dict, params: dict, seed: int) -> None:
    rebo(
        inputs["model"],
        inputs["rl_data"],
        outputs["model"],
        params,
        params["algorithm"],
        seed=seed,
        target_path=inputs["target"],
        checkpoints_out=outputs["checkpoints"],
    )
