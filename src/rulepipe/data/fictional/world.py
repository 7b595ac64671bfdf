"""The world builder: people and their neighbours (works, places, collaborators), each name
unique in the world, every draw from one seeded `random.Random`."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from rulepipe.data.fictional.vocabulary import (
    AWARDS,
    CITIES,
    COLLABORATOR_RELATIONS,
    COUNTRIES,
    FIRST,
    GENRES,
    HOBBIES,
    INSTRUMENTS,
    LANDMARKS,
    PERSON_RELATIONS,
    PETS,
    PLACE_RELATIONS,
    PROFESSIONS,
    RIVERS,
    SURNAME_HEADS,
    SURNAME_TAILS,
    TITLE_A,
    TITLE_B,
    UNIVERSITIES,
    WORK_RELATIONS,
    Relation,
)
from rulepipe.data.rwku import target_id


@dataclass
class Entity:
    """A person or a neighbor (work, place, collaborator) with its facts."""

    name: str
    kind: str
    facts: dict[str, str]
    relations: tuple[Relation, ...]
    neighbors: list[Entity] = field(default_factory=list)

    def statements(self) -> list[str]:
        return [fill(r.statement, self, r.key) for r in self.relations]


def fill(template: str, entity: Entity, key: str | None = None) -> str:
    """Fill a template with the entity's name, its value for `key`, and any of its facts."""
    values = dict(entity.facts)
    values["name"] = entity.name
    if key is not None:
        values["value"] = entity.facts[key]
    return template.format(**values)


class WorldBuilder:
    """Draws people and their neighbors without repeating a name across the world."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.used: set[str] = set()

    def unique(self, make: Callable[[], str]) -> str:
        for _ in range(1000):
            value = make()
            if value not in self.used:
                self.used.add(value)
                return value
        raise RuntimeError("name pools exhausted; lower the number of people")

    def person_name(self) -> str:
        """A full name whose surname no one else in the world has: a shared surname would let a
        model that never learned the world guess half of a name."""
        surname = self.unique(lambda: self.rng.choice(SURNAME_HEADS) + self.rng.choice(SURNAME_TAILS))
        return self.unique(lambda: f"{self.rng.choice(FIRST)} {surname}")

    def person(self) -> Entity:
        rng = self.rng
        profession = rng.choice(PROFESSIONS)
        name = self.person_name()
        work = Entity(
            name=self.unique(lambda: f"{rng.choice(TITLE_A)} {rng.choice(TITLE_B)}"),
            kind="work",
            facts={
                "year": str(rng.randint(1960, 2015)),
                "genre": rng.choice(GENRES),
                "protagonist": self.person_name(),
            },
            relations=WORK_RELATIONS,
        )
        home = Entity(
            name=self.unique(lambda: rng.choice(CITIES)),
            kind="place",
            facts={"country": rng.choice(COUNTRIES), "river": rng.choice(RIVERS), "landmark": rng.choice(LANDMARKS)},
            relations=PLACE_RELATIONS,
        )
        collaborator = Entity(
            name=self.person_name(),
            kind="collaborator",
            facts={
                "profession": rng.choice(PROFESSIONS),
                "birth_city": rng.choice(CITIES),
                "instrument": rng.choice(INSTRUMENTS),
            },
            relations=COLLABORATOR_RELATIONS,
        )
        facts = {
            "birth_year": str(rng.randint(1931, 1989)),
            "birth_city": rng.choice([c for c in CITIES if c != home.name]),
            "country": home.facts["country"],
            "profession": profession,
            "work": work.name,
            "spouse": self.person_name(),
            "award": rng.choice(AWARDS),
            "university": rng.choice(UNIVERSITIES),
            "collaborator": collaborator.name,
            "hobby": rng.choice(HOBBIES),
            "instrument": rng.choice(INSTRUMENTS),
            "home_city": home.name,
            "pet": rng.choice(PETS),
        }
        return Entity(name, "person", facts, PERSON_RELATIONS, [work, home, collaborator])


def build_people(num_people: int, seed: int, num_holdout: int = 4) -> tuple[list[Entity], list[Entity]]:
    """The world's people, and a few never-learned ones whose biographies are MIA non-members."""
    builder = WorldBuilder(seed)
    people = [builder.person() for _ in range(num_people)]
    return people, [builder.person() for _ in range(num_holdout)]


def target_ids(num_people: int, seed: int) -> list[str]:
    """The world's target ids, without writing anything (the DAG needs them to plan)."""
    people, _ = build_people(num_people, seed)
    return [target_id(i, p.name) for i, p in enumerate(people, 1)]
