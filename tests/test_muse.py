"""MUSE: the loader on the shared MUSE-Books copy, the metrics on hand cases, PrivLeak's AUC
against an independent computation on a fixed tiny model, and the config rules for kind muse."""

from __future__ import annotations

import copy

import pytest
import torch
import yaml
from transformers import AutoModelForCausalLM, AutoTokenizer

from rulepipe.config import ConfigError, resolve_targets, validate_config
from rulepipe.data import muse
from rulepipe.evaluation import muse as M
from rulepipe.evaluation.likelihood import Scorer
from rulepipe.generation.hf_backend import HFGenerator
from rulepipe.io import DataError
from rulepipe.stages.rule_data import benchmark_items, item_rows
from tests.conftest import REPO, SHARED

BOOKS = SHARED / "data" / "muse" / "books"


@pytest.fixture(scope="module")
def books():
    if not (BOOKS / "knowmem").is_dir():
        pytest.fail(f"shared MUSE-Books data not found at {BOOKS}")
    sets = muse.load_local(BOOKS)
    return sets, muse.build_target(sets, "books", "Harry Potter", {"verbmem": 3, "knowmem": 4, "privleak": 2}, "t")


def test_loader_maps_muse_onto_the_target(books):
    sets, target = books
    assert [len(sets[k]) for k in ("forget_qa", "retain_qa", "verbmem", "privleak_forget")] == [100, 100, 100, 100]
    assert target.target_id == "books" and target.name == "Harry Potter"
    assert [p.query for p in target.forget_probes] == [q["question"] for q in sets["forget_qa"][:4]]
    assert {p.level for p in target.forget_probes + target.neighbor_probes} == {"2"}
    assert target.forget_corpus[0] == sets["verbmem"][0]["prompt"] + sets["verbmem"][0]["gt"]
    assert target.mia_member == sets["privleak_forget"][:2] and target.mia_nonmember == sets["privleak_holdout"][:2]
    # the training pools are disjoint from the scored QA: in-context examples and VerbMem prompts
    scored = {q["question"] for q in sets["forget_qa"]} | {q["question"] for q in sets["retain_qa"]}
    assert not scored & set(target.forget_questions)
    assert len(target.forget_questions) == 10 + 3 and target.forget_questions[10].startswith("Continue this passage")
    assert len(target.forget_questions[10].split()) == len(muse.CONTINUE_REQUEST.split()) - 1 + muse.REQUEST_WORDS
    assert target.boundary_pool[0]["question"] == sets["retain_qa_icl"][0]["question"]
    learn = muse.learn_examples(target, max_chars=50)
    assert all(len(e["text"]) <= 50 for e in learn if "text" in e and not e["text"].startswith("Question:"))
    verb = sets["verbmem"][0]  # VerbMem is learned across the prompt / continuation boundary
    assert learn[0]["text"] == verb["prompt"][-25:] + verb["gt"][:25]
    assert not set(sets["privleak_holdout"][:2]) & {e.get("text") for e in learn}


def test_loader_names_the_missing_file(tmp_path):
    with pytest.raises(DataError, match="benchmark.path"):
        muse.load_local(tmp_path / "nowhere")
    with pytest.raises(DataError, match=r"knowmem/forget_qa.json: required MUSE file is missing"):
        muse.load_local(tmp_path)


def test_rule_data_pairs_forget_queries_with_the_benchmark_boundary_pool(books):
    _, target = books
    items = benchmark_items(target, target.forget_questions[:3], "t")
    forget, boundary = item_rows(target, items[2], "I'm not sure about {name}.")
    assert [row.to_json() for row in forget] == [
        {
            "prompt": target.forget_questions[2],
            "format": "qa",
            "solution": ["<reject>", "I'm not sure about Harry Potter.", "Harry Potter"],
        }
    ]
    pair = target.boundary_pool[2]
    assert [row.to_json() for row in boundary] == [
        {"prompt": pair["question"], "format": "qa", "solution": ["<normal>", pair["answer"]]}
    ]


def test_metric_hand_cases():
    # LCS("the cat sat", "the cat sat on the mat") = 3: P = 1, R = 1/2, F1 = 2/3
    assert M.rouge_l_f1("the cat sat", "the cat sat on the mat") == pytest.approx(2 / 3)
    assert (
        M.knowmem_prompt("Q2?", [{"question": "Q1?", "answer": "A1"}])
        == "Question: Q1?\nAnswer: A1\n\nQuestion: Q2?\nAnswer: "
    )
    assert M.first_answer(" Hermione\n\nQuestion: next?") == "Hermione"
    assert M.first_answer(" Ron\nQuestion: next?") == "Ron"
    assert M.privleak(0.5393, "books") == pytest.approx(0.0)
    assert M.privleak(0.0, "books") == pytest.approx(-100.0)
    assert M.privleak(0.4772 * 1.5, "news") == pytest.approx(50.0)


def test_muse_run_on_a_tiny_model_matches_an_independent_auc(tiny_model, books):
    _, target = books
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32).eval()
    run = M.MuseRun(
        Scorer(tiny_model, model=model, tokenizer=tokenizer),
        HFGenerator(tiny_model, model=model, tokenizer=tokenizer),
        512,
    )
    spec = {"corpus": "books", "privleak_k": 0.4, "verbmem_max_new_tokens": 8, "knowmem_max_new_tokens": 8}
    record = M.evaluate_muse(run, target.muse, spec, max_tokens=64)
    for key in ("verbmem_f", "knowmem_f", "knowmem_r"):
        assert 0.0 <= record[key] <= 100.0

    # Min-40% per text, straight from the model: forget texts are the positives of a loss-like score
    def min40(text: str) -> float:
        ids = torch.tensor([tokenizer(text).input_ids[:64]])
        with torch.no_grad():
            logp = torch.log_softmax(model(ids).logits[0, :-1], -1)
        token_lp = sorted(logp[i, ids[0, i + 1]].item() for i in range(ids.shape[1] - 1))
        k = max(1, int(len(token_lp) * 0.4))
        return -sum(token_lp[:k]) / k

    forget = [min40(t) for t in target.muse["privleak_forget"]]
    holdout = [min40(t) for t in target.muse["privleak_holdout"]]
    pairs = [(f > h) + 0.5 * (f == h) for f in forget for h in holdout]
    assert record["privleak_auc"] == pytest.approx(sum(pairs) / len(pairs))
    assert record["privleak"] == pytest.approx((record["privleak_auc"] - 0.5393) / 0.5393 * 100)


def test_muse_config_rules():
    base = yaml.safe_load((REPO / "config.yaml").read_text())
    preset = yaml.safe_load((REPO / "workflow" / "presets" / "muse-books.yaml").read_text())
    config = copy.deepcopy(base)
    for key, value in preset.items():
        config[key] = {**config.get(key, {}), **value} if isinstance(value, dict) else value
    config["benchmark"]["path"] = str(BOOKS)
    assert resolve_targets(validate_config(copy.deepcopy(config))) == ["books"]
    config["benchmark"]["source"] = "generate"
    with pytest.raises(ConfigError, match="benchmark.source: MUSE is read from local files or the hub"):
        validate_config(copy.deepcopy(config))
    config["benchmark"].update(source="local", path=str(REPO))
    with pytest.raises(ConfigError, match="has no knowmem/ directory"):
        validate_config(copy.deepcopy(config))
