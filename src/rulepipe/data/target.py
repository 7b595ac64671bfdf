"""The one representation of an unlearning target that every stage reads.

Loaders (RWKU local or hub, the fictional world) turn their source into a `Target`;
stages read `target.json` and never the source layout, so a new benchmark needs a loader
and nothing else.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rulepipe.io import DataError, read_json, write_json

LEVEL_NAMES = {"1": "fb", "2": "qa", "3": "aa"}
AA_TYPES = (
    "prefix injection",
    "affirmative suffix",
    "role play",
    "reverse query",
    "synonym manipulation",
    "context hint",
    "incontext learning",
    "multiple choice",
    "cross lingual",
)


@dataclass(frozen=True)
class Probe:
    """One evaluation question with its gold answer (RWKU's probe record)."""

    query: str
    answer: str
    level: str  # "1" fill-in-the-blank, "2" question, "3" adversarial
    type: str  # RWKU type string, e.g. "cloze", "role play", "cross lingual (French)"
    neighbor: str | None = None

    @property
    def attack(self) -> str:
        """The AA type without RWKU's language suffix ("cross lingual (French)" -> "cross lingual")."""
        return self.type.split(" (")[0]


@dataclass
class Target:
    """Everything a pipeline stage may need to know about one forget target."""

    name: str  # e.g. "Stephen King"
    target_id: str  # directory-safe id, e.g. "1_Stephen_King"
    intro: str
    forget_probes: list[Probe]
    neighbor_probes: list[Probe]
    mia_member: list[str] = field(default_factory=list)  # forget-side texts
    mia_nonmember: list[str] = field(default_factory=list)  # retain-side texts
    forget_corpus: list[str] = field(default_factory=list)
    retain_corpus: list[str] = field(default_factory=list)
    forget_questions: list[str] = field(default_factory=list)  # training pool, never probes
    utility: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    boundary_pool: list[dict[str, str]] = field(default_factory=list)  # {question, answer} to keep (MUSE)
    muse: dict[str, list[Any]] = field(default_factory=dict)  # the sets MUSE's own metrics read
    source: str = ""

    def probes(self, side: str, level: str) -> list[Probe]:
        pool = self.forget_probes if side == "forget" else self.neighbor_probes
        return [probe for probe in pool if probe.level == level]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], origin: str = "<dict>") -> Target:
        try:
            fields = dict(data)
            fields["forget_probes"] = [Probe(**p) for p in data["forget_probes"]]
            fields["neighbor_probes"] = [Probe(**p) for p in data["neighbor_probes"]]
            return cls(**fields)
        except (KeyError, TypeError) as err:
            raise DataError(f"{origin}: not a target record ({err})") from None

    def save(self, path: str | Path) -> None:
        write_json(path, self.to_dict())

    @classmethod
    def load(cls, path: str | Path) -> Target:
        return cls.from_dict(read_json(path), origin=str(path))
