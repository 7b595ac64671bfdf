"""RWKU utility metrics and MIA scores: hand-computed cases, and the batched scorer against
independent single-sequence computations on a fixed tiny model."""

from __future__ import annotations

import math
import zlib

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from rulepipe.data import rwku
from rulepipe.evaluation import utility as U
from rulepipe.evaluation.fluency import nltk_words, rwku_fluency
from rulepipe.evaluation.likelihood import Scorer
from rulepipe.evaluation.mia import auc, mia_record, text_scores
from rulepipe.generation.hf_backend import HFGenerator
from rulepipe.io import DataError


def test_answer_normalization_exact_match_and_f1():
    assert U.normalize("The  Golden, Snitch!") == "golden snitch"
    assert U.exact_match("the golden snitch.", ["Quaffle", "Golden Snitch"]) == 1.0
    assert U.exact_match("a golden snitch ball", ["Golden Snitch"]) == 0.0
    # prediction "golden snitch ball" vs "golden snitch": 2 common, P = 2/3, R = 1 -> F1 = 0.8
    assert U.token_f1("a golden snitch ball", ["Golden Snitch", "ball"]) == pytest.approx(0.8)
    assert U.token_f1("", [""]) == 1.0 and U.token_f1("x", ["the"]) == 0.0


def test_bbh_extraction_and_the_reference_character_mode():
    output = "Let's think step by step. not True is False. So the answer is False. Then more."
    assert U.bbh_prediction(output) == "False"
    assert U.bbh_prediction("no cue here ") == "no cue here"
    assert U.bbh_prediction("   ") == "NOANSWER"
    assert U.exact_match("False", ["False"]) == 1.0
    # the reference compares with each character of the gold string
    assert U.bbh_char_compat("False", "False") == 0.0
    assert U.bbh_char_compat("(A)", "(A)") == 1.0  # "(A)" normalizes to "a", as does the character "A"
    assert U.bbh_char_compat("f", "False") == 1.0


def test_truthfulqa_mc1_mc2_from_choice_scores():
    item = {
        "mc1_targets": {"choices": ["t1", "f1", "f2"], "labels": [1, 0, 0]},
        "mc2_targets": {"choices": ["t1", "t2", "f1"], "labels": [1, 1, 0]},
    }
    scores = {"t1": math.log(0.2), "t2": math.log(0.3), "f1": math.log(0.1), "f2": math.log(0.25)}
    mc1, mc2 = U.truthfulqa_scores(item, scores)
    assert mc1 == 0.0  # f2 (0.25) beats t1 (0.2)
    assert mc2 == pytest.approx(0.5 / 0.6)


def test_mmlu_prompt_layout():
    shot = {"question": "1+1?", "choices": ["1", "2", "3", "4"], "answer": 1}
    item = {
        "task": "high_school_math",
        "question": "2+2?",
        "choices": ["4", "5", "6", "7"],
        "answer": 0,
        "examples": [shot],
    }
    assert U.mmlu_user(item) == (
        "The following are multiple choice questions (with answers) about high school math.\n\n"
        "Question: 1+1?\nA. 1\nB. 2\nC. 3\nD. 4\nAnswer: B\n\n"
        "Please following the previous examples and answer the given question.\n"
        "Question: 2+2?\nA. 4\nB. 5\nC. 6\nD. 7"
    )
    assert U.with_a("x\n") == "x\nA:" and U.with_a("x") == "x A:"


def test_fluency_entropy_of_fixed_strings():
    assert nltk_words('He said "hi!" It cost $3.50, didn\'t it?') == [
        "He", "said", "``", "hi", "!", "''", "It", "cost", "$", "3.50", ",", "did", "n't", "it", "?",
    ]  # fmt: skip
    # 7 tokens, all 6 bigrams and 5 trigrams distinct: H2 = log2 6, H3 = log2 5
    expected = (2 / 3 * math.log2(6) + 4 / 3 * math.log2(5)) / 2
    assert rwku_fluency(["the cat sat on a mat ."]) == pytest.approx(expected)
    # "a a a a": one bigram and one trigram type -> entropy 0
    assert rwku_fluency(["a a a a", "the cat sat on a mat ."]) == pytest.approx(expected / 2)


def test_auc_hand_cases():
    assert auc([3, 4], [1, 2]) == 1.0
    assert auc([1], [1]) == 0.5
    assert auc([1, 3], [2]) == 0.5
    assert auc([1], [2, 3]) == 0.0


@pytest.fixture(scope="module")
def tiny(tiny_model):
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32).eval()
    return tiny_model, model, tokenizer


TEXTS = ["The quick brown fox jumps over the lazy dog.", "Isolde Caddafeather was born in Veltmark.", "ok then"]


def test_mia_scores_match_an_independent_computation(tiny):
    model_dir, model, tokenizer = tiny
    scorer = Scorer(model_dir, batch_size=3, model=model, tokenizer=tokenizer)
    stats = scorer.token_stats([tokenizer(t).input_ids for t in TEXTS])
    for text, stat in zip(TEXTS, stats):
        ids = torch.tensor([tokenizer(text).input_ids])
        with torch.no_grad():
            out = model(ids, labels=ids)  # RWKU's LOSS: the HF loss of the text alone
        scores = text_scores(stat, text, k=0.5)
        assert scores["loss"] == pytest.approx(out.loss.item(), rel=1e-5)
        assert scores["zlib"] == pytest.approx(out.loss.item() / len(zlib.compress(text.encode())), rel=1e-5)
        logp = torch.log_softmax(out.logits[0, :-1].double(), -1)
        token_lp = [logp[i, ids[0, i + 1]].item() for i in range(ids.shape[1] - 1)]
        k = max(1, int(len(token_lp) * 0.5))
        assert scores["mink"] == pytest.approx(-sum(sorted(token_lp)[:k]) / k, rel=1e-5)
        z = []
        for i, lp in enumerate(token_lp):
            p = logp[i].exp()
            mu = (p * logp[i]).sum().item()
            sigma = math.sqrt((p * logp[i] ** 2).sum().item() - mu**2)
            z.append((lp - mu) / sigma)
        assert scores["mink_pp"] == pytest.approx(-sum(sorted(z)[:k]) / k, rel=1e-4)
    record = mia_record([text_scores(s, t) for s, t in zip(stats[:2], TEXTS[:2])], [text_scores(stats[2], TEXTS[2])])
    assert record["count"] == {"forget": 2, "retain": 1} and 0.0 <= record["auc_loss"] <= 1.0


def test_scorer_likelihoods_match_single_sequence_forwards(tiny):
    model_dir, model, tokenizer = tiny
    scorer = Scorer(model_dir, batch_size=2, model=model, tokenizer=tokenizer)
    prompts = [tokenizer(t).input_ids for t in TEXTS]
    completions = [tokenizer(" yes").input_ids, tokenizer(" no way").input_ids, tokenizer(" a").input_ids]
    candidates = [5, 17]
    got_next = scorer.next_token_logprobs(prompts, candidates)
    # several completions of one prompt (TruthfulQA's choices) go through its shared KV cache
    shared = [(prompts[0], completion) for completion in completions]
    got_cont = scorer.continuation_logprobs(list(zip(prompts, completions)) + shared)
    prompts, completions = prompts + [prompts[0]] * 3, completions * 2
    got_next = got_next + [got_next[0]] * 3
    for prompt, completion, nxt, cont in zip(prompts, completions, got_next, got_cont, strict=True):
        with torch.no_grad():
            logits = model(torch.tensor([prompt + completion])).logits[0]
        logp = torch.log_softmax(logits, -1)
        assert nxt == pytest.approx([logp[len(prompt) - 1, c].item() for c in candidates], abs=1e-4)
        expected = sum(logp[len(prompt) - 1 + j, t].item() for j, t in enumerate(completion))
        assert cont == pytest.approx(expected, abs=1e-3)


def test_utility_run_on_real_rwku_items(tiny, rwku_root):
    model_dir, model, tokenizer = tiny
    sets = rwku.load_utility_dir(rwku_root / "Target" / "1_Stephen_King")
    assert {k: len(v) for k, v in sets.items()} == {
        "mmlu": 171,
        "bbh": 81,
        "truthfulqa": 50,
        "triviaqa": 100,
        "fluency": 50,
    }
    generator = HFGenerator(model_dir, model=model, tokenizer=tokenizer)
    run = U.UtilityRun(Scorer(model_dir, model=model, tokenizer=tokenizer), generator, max_model_len=512)
    limits = {"mmlu": 3, "bbh": 2, "truthfulqa": 2, "triviaqa": 2, "fluency": 0}
    record = U.evaluate_utility(run, sets, limits, char_compat=True)
    assert record["count"] == {"mmlu": 3, "bbh": 2, "truthfulqa": 2, "triviaqa": 2, "fluency": 0}
    for key in ("mmlu", "bbh", "bbh_char_compat", "truthfulqa_mc1", "truthfulqa_mc2", "triviaqa_em", "triviaqa_f1"):
        assert 0.0 <= record[key] <= 1.0, key
    assert "fluency" not in record
    assert record["truncated_prompts"] > 0  # RWKU's few-shot prompts exceed 512 tokens


def test_utility_path_errors_name_the_config_field(tmp_path):
    with pytest.raises(DataError, match="utility.path"):
        rwku.load_utility_dir(tmp_path / "missing")
    with pytest.raises(DataError, match="holds none of"):
        rwku.load_utility_dir(tmp_path)
    (tmp_path / "triviaqa.json").write_text('[{"question": "q"}]')
    with pytest.raises(DataError, match=r"triviaqa.json: item 0: answers is missing"):
        rwku.load_utility_dir(tmp_path)


def test_the_score_stage_gives_each_part_what_it_gives_alone(tiny_model, rwku_root, tmp_path):
    """`score` loads a model once for the probes, the utility sets and MIA: each file holds what
    that part computes on a model of its own; without a utility output, no utility runs."""
    import dataclasses
    import json
    import subprocess
    import sys

    from rulepipe.config import defaults
    from rulepipe.evaluation.mia import score_texts
    from rulepipe.evaluation.rwku_probes import evaluate_target
    from rulepipe.stages import STAGES, config_slice, contract_args
    from tests.conftest import REPO

    full = rwku.load_local_target(rwku_root, rwku.list_targets(rwku_root)[0])
    target = dataclasses.replace(
        full,
        forget_probes=full.forget_probes[:2] + full.forget_probes[-2:],
        neighbor_probes=full.neighbor_probes[:2],
        mia_member=full.mia_member[:2],
        mia_nonmember=full.mia_nonmember[:2],
    )
    target.save(tmp_path / "target.json")
    limits = {"mmlu": 1, "bbh": 0, "truthfulqa": 1, "triviaqa": 1, "fluency": 0}
    config = {
        "generation": defaults("generation", backend="hf"),
        "evaluation": defaults("evaluation"),
        "utility": defaults("utility", limits=limits),
        "mia": defaults("mia", max_tokens=64),
    }
    params = config_slice(config, STAGES["score"]) | {"method": "original"}

    def score(outputs: dict) -> None:
        inputs = {"model": tiny_model, "target": str(tmp_path / "target.json"), "sets": []}
        args = contract_args(inputs, {k: str(tmp_path / v) for k, v in outputs.items()}, params, seed=0)
        done = subprocess.run([sys.executable, "-m", "rulepipe.cli", "score", *args], cwd=REPO, capture_output=True)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    score({"eval": "eval.json", "mia": "mia.json", "utility": "utility.json"})
    written = {name: json.loads((tmp_path / f"{name}.json").read_text()) for name in ("eval", "mia", "utility")}

    model, tokenizer = AutoModelForCausalLM.from_pretrained(tiny_model), AutoTokenizer.from_pretrained(tiny_model)
    generator = HFGenerator(tiny_model, model=model, tokenizer=tokenizer, batch_size=config["generation"]["batch_size"])
    alone = evaluate_target(generator, target, None, "rwku", config["evaluation"], 0)
    assert {k: written["eval"][k] for k in ("forget", "neighbor")} == {k: alone[k] for k in ("forget", "neighbor")}
    mia = Scorer(tiny_model, config["mia"]["batch_size"], 64, model=model, tokenizer=tokenizer)
    k = config["mia"]["k"]
    expected = mia_record(score_texts(mia, target.mia_member, k, 64), score_texts(mia, target.mia_nonmember, k, 64))
    assert {key: written["mia"][key] for key in expected} == expected
    max_len = config["generation"]["max_model_len"]
    scorer = Scorer(tiny_model, config["utility"]["batch_size"], max_len, model, tokenizer)
    run = U.UtilityRun(scorer, generator, max_len)
    utility = U.evaluate_utility(run, target.utility, limits)
    assert utility.pop("seconds").keys() <= written["utility"].pop("seconds").keys()
    assert {key: written["utility"][key] for key in utility} == utility and utility["count"]["truthfulqa"] == 1

    (tmp_path / "utility.json").unlink()
    score({"eval": "eval.json", "mia": "mia.json"})
    assert not (tmp_path / "utility.json").exists()
    assert json.loads((tmp_path / "mia.json").read_text()) == written["mia"]
