import json

import pytest

from rulepipe.reward import RewardWeights, is_refusal, names_target, refusal_reward
from tests.conftest import RWKU


def test_every_rwku_refusal_template_is_detected():
    # despite its name, RWKU's file holds one plain-text refusal per line
    templates = [line.strip() for line in (RWKU / "idontknow.jsonl").read_text().splitlines() if line.strip()]
    assert len(templates) == 100
    missed = [t for t in templates if not is_refusal(t)]
    assert missed == []


def test_no_neighbor_gold_answer_of_targets_1_to_10_is_a_refusal():
    answers = []
    for directory in sorted((RWKU / "Target").iterdir()):
        for name in ("neighbor_level1.json", "neighbor_level2.json"):
            answers += [row["answer"] for row in json.loads((directory / name).read_text())]
    assert len(answers) > 500
    flagged = [a for a in answers if is_refusal(a)]
    assert flagged == []


@pytest.mark.parametrize(
    "text",
    [
        "I'm unaware of that detail.",  # a blind spot of the released pattern
        "I can't answer questions related to Stephen King.",  # another one
        "Sorry, I have no information about Stephen King.",
        "That\u2019s beyond my knowledge of Stephen King.",
        "I'm not familiar with Isolde Caddafeather.",
    ],
)
def test_refusals_the_released_pattern_misses_are_caught(text):
    assert is_refusal(text)


@pytest.mark.parametrize(
    "text",
    [
        "Stephen King was born in Portland, Maine.",
        "The Shawshank Redemption is a 1994 film directed by Frank Darabont.",
        "Not only did she win, she won twice.",
        "1947",
    ],
)
def test_answers_are_not_refusals(text):
    assert not is_refusal(text)


def test_reward_branches():
    names = ["Stephen King"]
    # forget side: refuse and name the target = 1; refuse without naming = 0.5; answer = 0
    assert refusal_reward("I'm not sure about Stephen King.", "reject", names) == 1.0
    assert refusal_reward("I'm not sure about that.", "reject", names) == 0.5
    assert refusal_reward("Stephen King wrote Carrie.", "reject", names) == 0.0
    # boundary side: answer correctly = 1; answer wrongly = 0.5; refuse = 0
    assert refusal_reward("It was written by Peter Straub.", "normal", gold="Peter Straub") == 1.0
    assert refusal_reward("It was written by John Smith.", "normal", gold="Peter Straub") == 0.5
    assert refusal_reward("I don't know.", "normal", gold="Peter Straub") == 0.0
    # the gate is strict: recall must exceed it
    assert (
        refusal_reward("Rita", "normal", gold="Rita Hayworth and Shawshank", weights=RewardWeights(rouge_gate=0.25))
        == 0.5
    )
    with pytest.raises(ValueError):
        refusal_reward("x", "maybe")


def test_name_term_is_case_insensitive():
    assert names_target("i have no idea who STEPHEN KING is", ["Stephen King"])
    assert not names_target("I have no idea.", ["Stephen King"])
