"""Boundary synthesis: filters, parsing, grounding and the fallback accounting.

The synthesizer here is a scripted stand-in (plumbing test): it returns fixed texts so that
each filter branch is exercised; the real synthesizer runs in the smoke DAG."""

import json

from rulepipe.config import defaults
from rulepipe.data import fictional
from rulepipe.generation.base import Closing, Completion
from rulepipe.synthesis import filters
from rulepipe.synthesis.boundary import EXAMPLES, rates, synthesize
from rulepipe.synthesis.facts import fact_items
from rulepipe.synthesis.grounding import ground_questions


class ScriptedGenerator(Closing):
    name = "scripted"

    def __init__(self, tokenizer, replies):
        self.tokenizer = tokenizer
        self.replies = replies

    def generate(self, prompts, sampling, stop_token_ids):
        return [[Completion(self.replies.pop(0), (), True) for _ in range(sampling.n)] for _ in prompts]

    def close(self):
        assert not self.replies, f"replies left unread: {self.replies}"


def test_filters():
    assert filters.valid_cloze("Ada was born in ___.", "Ada") is None
    assert filters.valid_cloze("Ada was born in 1950.", "Ada") == "cloze: not exactly one blank"
    assert filters.valid_cloze("She was born in ___.", "Ada") == "cloze: does not name the entity"
    assert filters.valid_neighbor("When was Bo born?", "1960", "Ada", "Bo") is None
    assert filters.valid_neighbor("When was Ada born?", "1960", "Ada", "Bo") == "neighbor: names the forget target"
    assert filters.valid_neighbor("When was Cy born?", "1960", "Ada", "Bo") == "neighbor: does not name the neighbor"
    assert filters.near_duplicate("When was Bo born?", ["when was bo born"])
    assert not filters.near_duplicate("Where does Bo live?", ["When was Bo born?"])
    for question in ("At which school was Bo educated?", "With whom did Bo work?", "In what year was Bo born?"):
        assert filters.is_question(question)  # a preposition before the question word (the world's own templates)


def test_fact_table_synthesis_keeps_what_the_facts_confirm_and_falls_back_on_the_rest(tmp_path, tiny_model):
    """The writer asks about the neighbour; the fact model states and answers; the world's facts
    decide what is kept (LLM text) and what a template replaces."""
    from transformers import AutoTokenizer

    fictional.write_world(tmp_path, num_people=3, seed=0)
    world = json.loads((tmp_path / "world.json").read_text())
    person, neighbor = world["people"][0], world["people"][1]
    name, other = person["name"], neighbor["name"]
    queries = [f"What is the birth year of {name}?", f"Where was {name} born?"]
    grounding = ground_questions(world, person["target_id"], queries)
    assert grounding[0].value == person["facts"]["birth_year"]
    assert grounding[0].neighbor == other and grounding[0].answer == neighbor["facts"]["birth_year"]
    assert grounding[1].answer == world["people"][2]["facts"]["birth_city"]
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    writer = ScriptedGenerator(
        tokenizer,
        [
            f"What is the birth year of {other}?",  # a question about the neighbour, same relation
            f"Where was {name} born?",  # names the forget target -> the template
        ],
    )
    knower = ScriptedGenerator(
        tokenizer,
        [
            f"was born in {person['facts']['birth_year']}.",  # the target's statement: its cloze
            "is a poet.",  # misses the fact -> the template cloze
            f"was born in {neighbor['facts']['birth_year']}.",  # the neighbour's statement
            neighbor["facts"]["birth_year"],  # its short answer
        ],
    )
    settings = defaults("rule.synthesis", samples=1)
    items, counts = fact_items(lambda: writer, lambda: knower, name, queries, grounding, settings, 0)
    report = rates(counts, len(queries), 1)
    assert items[0].cloze == {"text": f"{name} was born in ___.", "source": "llm"}
    assert items[1].cloze["source"] == "template" and items[1].cloze["text"].count("___") == 1
    assert items[0].neighbor == {
        "entity": other,
        "question": f"What is the birth year of {other}?",
        "answer": neighbor["facts"]["birth_year"],
        "source": "llm",
    }
    assert items[0].neighbor_cloze["text"] == f"{other} was born in ___." and items[0].neighbor_cloze["source"] == "llm"
    assert items[1].neighbor["source"] == "template" and name not in items[1].neighbor["question"]
    assert items[1].neighbor["answer"] == world["people"][2]["facts"]["birth_city"]
    assert report["cloze_accepted_rate"] == 0.5 and report["cloze_fallback_rate"] == 0.5
    assert report["neighbor_accepted_rate"] == 0.5 and report["neighbor_fallback_rate"] == 0.5
    assert any(r.startswith("neighbor: names the forget target") for r in items[1].rejections)
    assert any(r.startswith("cloze: the statement misses the fact") for r in items[1].rejections)


def test_a_candidate_about_another_relation_is_not_confirmed_by_the_facts():
    from rulepipe.synthesis.facts import other_relation

    assert other_relation("Who married Bo?", "Bo", "Who did Ada marry?", "Ada") is None
    assert other_relation("What is the birth year of Bo?", "Bo", "What is the birth year of Ada?", "Ada") is None
    off = "neighbor: asks about something else than the forget question"
    assert other_relation("Which person has a pet named Bo?", "Bo", "Which animal lives with Ada?", "Ada") == off
    assert other_relation("What is Bo?", "Bo", "What kind of artist is Ada?", "Ada") == off


def test_filter_holes_found_on_an_rwku_run_are_closed():
    # a "boundary pair" that is not a question
    assert filters.valid_boundary_prompt("Trace Cyrus", "Miley Cyrus") is not None
    assert (
        filters.valid_neighbor("Trace Cyrus", "Trace Cyrus", "Miley Cyrus", "Trace Cyrus") == "neighbor: not a question"
    )
    # a cloze that copies the prompt's worked example, its four underscores passing as one blank
    copied = "Marie Curie' was born in the city of ____ and Stephen King wrote novels."
    assert filters.blanks(copied) == 1
    assert filters.valid_cloze(copied, "Stephen King", EXAMPLES) == "cloze: copies the prompt's example"
    assert filters.valid_cloze("Stephen King was born in ___ and grew up in ___.", "Stephen King") is not None
    # boundary prompts never name the target; a cloze with one blank or a question is fine
    assert filters.valid_boundary_prompt("Flowers (Miley Cyrus song) was released in ___.", "Miley Cyrus")
    assert filters.valid_boundary_prompt("J.K. Rowling was born in ___.", "Stephen King") is None
    assert filters.valid_boundary_prompt("Where was J.K. Rowling born?", "Stephen King") is None
    # a grounded answer is a short span of the passage that the question does not give away
    passage = "Agatha Christie was an English writer known for her detective novels."
    assert filters.grounded_answer("an English writer", "Who was Agatha Christie?", passage) is None
    assert filters.grounded_answer("a French painter", "Who was Agatha Christie?", passage) is not None
    assert filters.grounded_answer("detective novels", "Was Agatha Christie known for detective novels?", passage)


def rwku_target(name="Stephen King", neighbors=("The Shining (film)", "Stand by Me (film)")):
    from rulepipe.data.target import Probe, Target

    probes = [Probe(f"{n} was directed by ___.", "x", "1", "cloze", n) for n in neighbors]
    forget = [Probe(f"{name} was born in ___.", "Portland", "1", "cloze")]
    return Target(
        name, "1_" + name.replace(" ", "_"), f"{name} is an American author of horror novels.", forget, probes
    )


def test_comparable_neighbours_skip_the_target_and_every_scored_entity():
    from rulepipe.synthesis.neighbors import comparable, scored_entities

    target = rwku_target()
    assert "The Shining" in scored_entities(target) and "Stand by Me" in scored_entities(target)
    pool = {
        "Stephen King": "Stephen King is an American author of horror novels.",
        "The Shining": "The Shining is an American horror film based on a novel.",  # scored: never chosen
        "Stephen King (junior)": "Stephen King (junior) is an American author of horror stories.",  # names the target
        "Anne Rice": "Anne Rice was an American author of gothic horror novels.",
        "Dean Koontz": "Dean Koontz is an American author of suspense and horror novels.",
        "Lionel Messi": "Lionel Messi is an Argentine footballer.",
    }
    chosen = [n.name for n in comparable(target, pool, 3)]
    assert chosen[:2] == ["Anne Rice", "Dean Koontz"] or chosen[:2] == ["Dean Koontz", "Anne Rice"]
    assert chosen[2] == "Lionel Messi"  # the least comparable comes last
    assert not {"Stephen King", "The Shining", "Stephen King (junior)"} & set(chosen)


def test_leakage_guard_names_scored_neighbours_and_repeated_probes():
    from rulepipe.data.rl_rows import answer, refuse
    from rulepipe.synthesis.neighbors import leaks

    target = rwku_target()
    clean = [answer("Who was Anne Rice?", "qa", "an American author")]
    assert leaks(target, clean) == []
    named = [answer("Who directed The Shining?", "qa", "Kubrick")]
    assert "names the scored neighbour" in leaks(target, named)[0]
    repeated = [answer("The Shining (film) was directed by ___.", "fb", "x")]
    assert leaks(target, repeated)
    refusals = [refuse("Who directed The Shining?", "qa", "No.", "X")]
    assert leaks(target, refusals) == []  # the forget side is refused, not trained to answer


def test_grounded_rwku_synthesis_answers_from_the_passage_with_a_template_fallback(tiny_model):
    """The synthesizer writes a question from the passage, then answers it from the passage;
    an answer that is not a span of it falls back to the passage's template."""
    from transformers import AutoTokenizer

    from rulepipe.synthesis.neighbors import Neighbor

    passages = [
        Neighbor("Anne Rice", "Anne Rice was an American author of gothic fiction, known for vampire novels."),
        Neighbor("Dean Koontz", "Dean Koontz is an American novelist, known for suspense thrillers."),
    ]
    queries = ["Where was Stephen King born?", "What was Stephen King's first novel?"]
    replies = [
        "Stephen King was born in ___.",  # cloze 1: accepted
        "What was Stephen King's first novel?",  # cloze 2: no blank -> dropped (no fact table)
        "What kind of fiction did Anne Rice write?",  # question about passage 1
        "Where was Dean Koontz born?",  # question about passage 2
        "gothic fiction",  # its answer: a span of passage 1 -> accepted
        "Pennsylvania",  # not in passage 2 -> the passage's template
    ]
    generator = ScriptedGenerator(AutoTokenizer.from_pretrained(tiny_model), replies)
    settings = defaults("rule.synthesis", samples=1)
    settings["neighbors"]["per_query"] = 1
    items, counts = synthesize(generator, "Stephen King", queries, passages, settings, 0)
    report = rates(counts, len(queries), 1)
    first, second = items[0].boundary, items[1].boundary
    assert first[0] == {
        "prompt": "What kind of fiction did Anne Rice write?",
        "format": "qa",
        "answer": "gothic fiction",
        "entity": "Anne Rice",
        "source": "llm",
    }
    assert first[1]["prompt"] == "Anne Rice was an American author of ___, known for vampire novels."
    assert (second[0]["prompt"], second[0]["answer"], second[0]["source"]) == (
        "Who is Dean Koontz?",
        "an American novelist",
        "template",
    )
    assert second[1]["prompt"] == "Dean Koontz is ___, known for suspense thrillers."
    assert items[1].cloze == {}
    assert report["neighbor_accepted_rate"] == 0.5 and report["neighbor_fallback_rate"] == 0.5
    assert any("not a span of the passage" in r for r in items[1].rejections)


def test_passage_units_come_from_intros_and_the_sentences_that_name_the_person():
    from rulepipe.synthesis.neighbors import comparable

    target = rwku_target()
    pool = {
        "Anne Rice": "Anne Rice was an American author of gothic horror novels.",
        "Lionel Messi": "Lionel Messi is an Argentine footballer.",
    }
    corpus = [
        "What a request! Anne Rice was born on October 4, 1941, in New Orleans, Louisiana. She wrote a lot. "
        "Anne Rice later moved to California with her husband Stan Rice.",
        "Lionel Messi was born on June 24, 1987, in Rosario, Argentina, and he watched The Shining twice.",
    ]
    units = comparable(target, pool, 2, corpus)
    assert [(u.name, u.passage[:30]) for u in units] == [
        ("Anne Rice", "Anne Rice was an American auth"),
        ("Lionel Messi", "Lionel Messi is an Argentine f"),
        ("Anne Rice", "Anne Rice was born on October "),
        ("Anne Rice", "Anne Rice later moved to Calif"),
    ]  # round-robin; Messi's sentence names a scored neighbour and is skipped


def test_biography_sentences_are_made_to_stand_alone():
    from rulepipe.synthesis.neighbors import named

    assert named("She moved to California with her husband.", "Anne Rice") == (
        "Anne Rice moved to California with her husband."
    )
    assert named("His first film came out in 1999.", "Jack Black") == "Jack Black's first film came out in 1999."
    assert named("Later, Rice wrote vampire novels.", "Anne Rice") == "Later, Anne Rice wrote vampire novels."
    assert named("Anne Rice wrote vampire novels.", "Anne Rice") == "Anne Rice wrote vampire novels."


def test_budget_counts_only_real_boundary_rows(tiny_model):
    from transformers import AutoTokenizer

    from rulepipe.data.budget import Budget
    from rulepipe.stages.rule_data import fit_to_budget
    from rulepipe.synthesis.boundary import BoundaryItem

    target = rwku_target()
    items = [
        BoundaryItem("Where was Stephen King born?", {}, None, None),  # no boundary side at all
        BoundaryItem(
            "When was Stephen King born?",
            {},
            {"entity": "Trace Cyrus", "question": "Trace Cyrus", "answer": "Trace Cyrus", "source": "llm"},
            None,
        ),  # a "boundary pair" that is not a question: dropped
        BoundaryItem(
            "Who is Stephen King?",
            {},
            {"entity": "Anne Rice", "question": "Did Anne Rice like The Shining?", "answer": "yes", "source": "llm"},
            None,
        ),  # names a scored neighbour: dropped (the release's own files have such rows)
    ]
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    rows, labels = fit_to_budget(target, items, tokenizer, 10_000, Budget(min_queries=3))
    assert labels == ["forget", "forget", "forget"]
    assert all(row.forget for row in rows)
    assert any("scored neighbour 'The Shining'" in r for r in items[2].rejections)


def test_passage_templates_and_clozes_are_spans_of_the_passage():
    from rulepipe.synthesis.passages import template_cloze, templates

    passage = "Anne Rice was born on October 4, 1941, in New Orleans, Louisiana."
    assert templates("Anne Rice", passage) == [
        ("When was Anne Rice born?", "October 4, 1941"),
        ("Where was Anne Rice born?", "New Orleans, Louisiana"),
    ]
    assert template_cloze(passage, "Anne Rice") == (
        "Anne Rice was born on October 4, ___, in New Orleans, Louisiana.",
        "1941",
    )
    martial = "Jackie Chan is a renowned Hong Kong martial artist and actor."
    assert template_cloze(martial, "Jackie Chan") == (
        "Jackie Chan is a renowned ___ martial artist and actor.",
        "Hong Kong",
    )
    assert template_cloze("Jackie Chan is an actor.", "Jackie Chan") is None
    described = "Dean Koontz is an American novelist, known for suspense thrillers."
    assert templates("Dean Koontz", described) == [
        ("Who is Dean Koontz?", "an American novelist"),
        ("What is Dean Koontz known for?", "suspense thrillers"),
    ]
