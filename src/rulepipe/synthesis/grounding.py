"""Fictional-world grounding: which fact a training question asks, and a neighbor's true value.

The neighbor of a forget question is the same relation asked about another person of the
world (a close entity the model must keep answering); its answer comes from `world.json`.
"""

from __future__ import annotations

from rulepipe.data.fictional.relations import PERSON_RELATIONS
from rulepipe.synthesis.facts import GroundedFact


def ground_questions(world: dict, target_id: str, questions: list[str]) -> list[GroundedFact | None]:
    people = world["people"]
    index = next(i for i, p in enumerate(people) if p["target_id"] == target_id)
    person = people[index]
    others = people[index + 1 :] + people[:index]
    grounded: list[GroundedFact | None] = []
    for k, question in enumerate(questions):
        match = None
        for relation in PERSON_RELATIONS:
            for template in relation.questions:
                values = dict(person["facts"], name=person["name"])
                if template.format(**values) == question:
                    match = (relation, template)
        if match is None:
            grounded.append(None)
            continue
        relation, template = match
        neighbor = others[k % len(others)]
        cloze = relation.statement.replace("{value}", "___")
        value = person["facts"][relation.key]
        grounded.append(GroundedFact(value, neighbor["name"], neighbor["facts"][relation.key], cloze, template))
    return grounded
