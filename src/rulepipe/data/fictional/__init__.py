"""A fictional world, generated offline and deterministically, in RWKU's per-target layout.

No small model knows RWKU's celebrities, so the embedded default benchmark invents people
(with a work, a home city, a collaborator, a spouse and a university as their neighbors),
writes RWKU-style probes about them, and lets a `learn` stage teach them to the base model first (TOFU's recipe).
Everything is drawn from one seeded `random.Random`: the same seed gives the same files.


The package: `vocabulary` (word lists), `relations` (fact templates), `world` (the builder)
and `writer` (probes, corpora, files).
"""

from rulepipe.data.fictional.world import target_ids
from rulepipe.data.fictional.writer import write_world

__all__ = ["target_ids", "write_world"]
