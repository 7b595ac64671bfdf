"""Boundary synthesis: filters, parsing, grounding and the fallback accounting.

The synthesizer here is a scripted stand-in (plumbing test): it returns fixed texts so that
each filter branch is exercised; the real synthesizer runs in the smoke DAG."""

import json

from rulepipe.data import fictional
from rulepipe.generation.base import Completion
from rulepipe.synthesis import filters
from rulepipe.synthesis.boundary import parse_neighbor, synthesize
from rulepipe.synthesis.grounding import ground_questions


class ScriptedGenerator:
    name = "scripted"

    def __init__(self, tokenizer, replies):
        self.tokenizer = tokenizer
        self.replies = replies

    def generate(self, prompts, sampling, stop_token_ids):
        return [[Completion(self.replies.pop(0), (), True) for _ in range(sampling.n)] for _ in prompts]


def test_filters():
    assert filters.valid_cloze("Ada was born in ___.", "Ada") is None
    assert filters.valid_cloze("Ada was born in 1950.", "Ada") == "cloze: not exactly one blank"
    assert filters.valid_cloze("She was born in ___.", "Ada") == "cloze: does not name the entity"
    assert filters.valid_neighbor("When was Bo born?", "1960", "Ada", "Bo") is None
    assert filters.valid_neighbor("When was Ada born?", "1960", "Ada", "Bo") == "neighbor: names the forget target"
    assert filters.valid_neighbor("When was Cy born?", "1960", "Ada", "Bo") == "neighbor: does not name the neighbor"
    assert filters.near_duplicate("When was Bo born?", ["when was bo born"])
    assert not filters.near_duplicate("Where does Bo live?", ["When was Bo born?"])
    assert parse_neighbor("Question: When was Bo born?\nAnswer: 1960") == ("When was Bo born?", "1960")


def test_synthesis_accepts_checked_output_and_falls_back_on_the_rest(tmp_path, tiny_model):
    from transformers import AutoTokenizer

    fictional.write_world(tmp_path, num_people=3, seed=0)
    world = json.loads((tmp_path / "world.json").read_text())
    person, neighbor = world["people"][0], world["people"][1]
    name, other = person["name"], neighbor["name"]
    queries = [f"What is the birth year of {name}?", f"Where was {name} born?"]
    grounding = ground_questions(world, person["target_id"], queries)
    assert grounding[0].neighbor == other and grounding[0].answer == neighbor["facts"]["birth_year"]
    assert grounding[1].answer == world["people"][2]["facts"]["birth_city"]
    replies = [
        f"{name} was born in the year ___.",  # cloze for query 1: accepted
        "No blank here.",  # cloze for query 2: rejected -> template
        f"Question: What is the birth year of {other}?\nAnswer: {neighbor['facts']['birth_year']}",  # accepted
        f"Question: Where was {name} born?\nAnswer: Nowhere",  # names the target -> template
    ]
    generator = ScriptedGenerator(AutoTokenizer.from_pretrained(tiny_model), replies)
    items, report = synthesize(generator, name, queries, [], grounding, samples=1)
    assert items[0].cloze["source"] == "llm" and items[1].cloze["source"] == "template"
    assert items[1].cloze["text"].count("___") == 1 and name in items[1].cloze["text"]
    assert items[0].neighbor["source"] == "llm" and items[1].neighbor["source"] == "template"
    assert items[1].neighbor["answer"] == world["people"][2]["facts"]["birth_city"]
    assert name not in items[1].neighbor["question"]
    assert report["cloze_accepted_rate"] == 0.5 and report["cloze_fallback_rate"] == 0.5
    assert report["neighbor_accepted_rate"] == 0.5 and report["neighbor_fallback_rate"] == 0.5
    assert any(r.startswith("neighbor: names the forget target") for r in items[1].rejections)
