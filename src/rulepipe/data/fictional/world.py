"""The world builder: people and their neighbours (a work, a home city, a collaborator, a spouse,
a university), each name unique in the world, every draw from one seeded `random.Random`."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from rulepipe.data.fictional.relations import (
    PERSON_NEIGHBOR_RELATIONS,
    PERSON_RELATIONS,
    PLACE_RELATIONS,
    UNIVERSITY_RELATIONS,
    WORK_RELATIONS,
    Relation,
)
from rulepipe.data.fictional.vocabulary import (
    AWARDS,
    CITIES,
    COUNTRIES,
    DISHES,
    EMBLEMS,
    FESTIVALS,
    FIRST,
    GENRES,
    HOBBIES,
    INSTRUMENTS,
    JOURNALS,
    LANDMARKS,
    LANGUAGES,
    MINOR_SURNAMES,
    MOUNTAINS,
    PETS,
    PLACE_HEADS,
    PLACE_TAILS,
    PROFESSIONS,
    RIVERS,
    SURNAME_HEADS,
    SURNAME_TAILS,
    TITLE_A,
    TITLE_B,
    UNIVERSITY_KINDS,
)
from rulepipe.data.rwku import target_id


@dataclass
class Entity:
    """A person or a neighbor (work, place, collaborator, spouse, university) with its facts."""

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

    def minor_name(self) -> str:
        """A name a neighbour's fact gives (a villain, a mayor): unique, with its own surnames."""
        return self.unique(lambda: f"{self.rng.choice(FIRST)} {self.rng.choice(MINOR_SURNAMES)}")

    def neighbor_person(self, kind: str) -> Entity:
        """A collaborator or a spouse: a person of the world with ten facts of their own."""
        rng = self.rng
        return Entity(
            name=self.person_name(),
            kind=kind,
            facts={
                "profession": rng.choice(PROFESSIONS),
                "birth_city": rng.choice(CITIES),
                "instrument": rng.choice(INSTRUMENTS),
                "birth_year": str(rng.randint(1931, 1989)),
                "hobby": rng.choice(HOBBIES),
                "pet": rng.choice(PETS),
                "award": rng.choice(AWARDS),
                "home_city": rng.choice(CITIES),
                "language": rng.choice(LANGUAGES),
                "mentor": self.minor_name(),
            },
            relations=PERSON_NEIGHBOR_RELATIONS,
        )

    def person(self) -> Entity:
        """A person and their five neighbours (work, home city, collaborator, spouse,
        university), ten facts each: 50 neighbour facts, RWKU's close entities."""
        rng = self.rng
        name = self.person_name()
        work = Entity(
            name=self.unique(lambda: f"{rng.choice(TITLE_A)} {rng.choice(TITLE_B)}"),
            kind="work",
            facts={
                "year": str(rng.randint(1960, 2015)),
                "genre": rng.choice(GENRES),
                "protagonist": self.person_name(),
                "award": rng.choice(AWARDS),
                "setting": rng.choice(CITIES),
                "language": rng.choice(LANGUAGES),
                "chapters": str(rng.randint(8, 60)),
                "villain": self.minor_name(),
                "dedicatee": self.minor_name(),
                "illustrator": self.minor_name(),
            },
            relations=WORK_RELATIONS,
        )
        home = Entity(
            name=self.unique(lambda: rng.choice(PLACE_HEADS) + rng.choice(PLACE_TAILS)),
            kind="place",
            facts={
                "country": rng.choice(COUNTRIES),
                "river": rng.choice(RIVERS),
                "landmark": rng.choice(LANDMARKS),
                "mayor": self.minor_name(),
                "founded": str(rng.randint(900, 1700)),
                "population": str(rng.randint(12, 95) * 1000),
                "festival": rng.choice(FESTIVALS),
                "twin_city": rng.choice(CITIES),
                "dish": rng.choice(DISHES),
                "mountain": rng.choice(MOUNTAINS),
            },
            relations=PLACE_RELATIONS,
        )
        collaborator = self.neighbor_person("collaborator")
        spouse = self.neighbor_person("spouse")
        university_name = self.unique(lambda: f"{rng.choice(TITLE_A)} {rng.choice(UNIVERSITY_KINDS)}")
        rivals = [t for t in TITLE_A if not university_name.startswith(f"{t} ")]
        university = Entity(
            name=university_name,
            kind="university",
            facts={
                "founded": str(rng.randint(1400, 1899)),
                "city": rng.choice(CITIES),
                "rector": self.minor_name(),
                "founder": self.minor_name(),
                "emblem": rng.choice(EMBLEMS),
                "students": str(rng.randint(8, 60) * 100),
                "library": self.minor_name(),
                "rival": f"{rng.choice(rivals)} {rng.choice(UNIVERSITY_KINDS)}",
                "dean": self.minor_name(),
                "journal": rng.choice(JOURNALS),
            },
            relations=UNIVERSITY_RELATIONS,
        )
        facts = {
            "birth_year": str(rng.randint(1931, 1989)),
            "birth_city": rng.choice(CITIES),
            "country": home.facts["country"],
            "profession": rng.choice(PROFESSIONS),
            "work": work.name,
            "spouse": spouse.name,
            "award": rng.choice(AWARDS),
            "university": university.name,
            "collaborator": collaborator.name,
            "hobby": rng.choice(HOBBIES),
            "instrument": rng.choice(INSTRUMENTS),
            "home_city": home.name,
            "pet": rng.choice(PETS),
        }
        return Entity(name, "person", facts, PERSON_RELATIONS, [work, home, collaborator, spouse, university])


def build_people(
    num_people: int, seed: int, num_holdout: int = 4, neighbor_facts: int = 10
) -> tuple[list[Entity], list[Entity]]:
    """The world's people, and a few never-learned ones whose biographies are MIA non-members.
    Each neighbour keeps its first `neighbor_facts` facts; every fact is drawn all the same, so
    the names and the kept facts do not depend on it."""
    builder = WorldBuilder(seed)
    people = [builder.person() for _ in range(num_people)]
    holdout = [builder.person() for _ in range(num_holdout)]
    for neighbor in (n for person in people + holdout for n in person.neighbors):
        neighbor.relations = neighbor.relations[:neighbor_facts]
        neighbor.facts = {r.key: neighbor.facts[r.key] for r in neighbor.relations}
    return people, holdout


def target_ids(num_people: int, seed: int) -> list[str]:
    """The world's target ids, without writing anything (the DAG needs them to plan)."""
    people, _ = build_people(num_people, seed)
    return [target_id(i, p.name) for i, p in enumerate(people, 1)]
