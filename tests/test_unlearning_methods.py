"""The baseline losses against values derived independently (HF's own loss, closed forms at a
zero log-ratio), and one real gradient step of each forget objective on the tiny model."""

import math

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from rulepipe.config import baseline_runs
from rulepipe.training.data import ChatExample, collate, tokenize_examples, tokenize_texts, with_group
from rulepipe.training.methods import make_loss, parse_method

HP = {"npo_beta": 0.1, "simnpo_beta": 2.5, "simnpo_gamma": 0.5, "dpo_beta": 0.1, "retain_weight": 1.0}


@pytest.fixture(scope="module")
def setup(tiny_model):
    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model, dtype=torch.float32)
    forget = tokenize_texts(tok, ["Ada Quill was born in Varn in 1950.", "Ada Quill writes plays."], 64)
    retain = tokenize_texts(tok, ["Bo Tarn lives in Hesk."], 64)
    chosen = tokenize_examples(tok, [ChatExample("Who is Ada Quill?", " I do not know Ada Quill.")], 64)
    rejected = tokenize_examples(tok, [ChatExample("Who is Ada Quill?", " A poet from Varn.")], 64)
    return tiny_model, tok, model, forget, retain, chosen, rejected


def _hf_loss(model, row):
    ids = torch.tensor([row["input_ids"]])
    return model(input_ids=ids, labels=torch.tensor([row["labels"]])).loss


def test_losses_match_independent_values(setup):
    _, tok, model, forget, retain, chosen, rejected = setup
    row = forget[:1]
    batch = collate(row, tok.pad_token_id)
    nll = _hf_loss(model, row[0])
    with torch.no_grad():
        ga = make_loss(parse_method("ga"), HP)(model, batch)
        npo = make_loss(parse_method("npo"), HP)(model, batch, model)
        simnpo = make_loss(parse_method("simnpo"), HP)(model, batch)
        retain_batch = collate(with_group(row, "retain", retain), tok.pad_token_id)
        gdr = make_loss(parse_method("ga-gdr"), HP)(model, retain_batch)
        klr = make_loss(parse_method("ga-klr"), HP)(model, retain_batch, model)
        dpo = make_loss(parse_method("dpo"), HP)(model, collate(with_group(chosen, "rejected", rejected), 0), model)
    assert ga.item() == pytest.approx(-nll.item(), rel=1e-5)
    # reference == policy: log-ratio 0 -> (2/beta) softplus(0) = (2/beta) ln 2; DPO -> ln 2
    assert npo.item() == pytest.approx(2 / HP["npo_beta"] * math.log(2), rel=1e-5)
    assert dpo.item() == pytest.approx(math.log(2), rel=1e-5)
    # SimNPO: (2/beta) softplus(beta * mean log p + gamma), mean log p = -HF loss
    beta, gamma = HP["simnpo_beta"], HP["simnpo_gamma"]
    expected = 2 / beta * math.log1p(math.exp(beta * -nll.item() + gamma))
    assert simnpo.item() == pytest.approx(expected, rel=1e-5)
    assert gdr.item() == pytest.approx(-nll.item() + _hf_loss(model, retain[0]).item(), rel=1e-5)
    assert klr.item() == pytest.approx(-nll.item(), abs=1e-5)  # KL(p || p) = 0


def test_one_step_of_each_forget_objective_raises_the_forget_nll(setup):
    model_dir, tok, _, forget, _, _, _ = setup
    batch = collate(forget, tok.pad_token_id)
    for name in ("ga", "npo", "simnpo"):
        policy = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
        reference = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
        before = sum(_hf_loss(policy, row).item() for row in forget)
        optimizer = torch.optim.SGD(policy.parameters(), lr=0.5)
        make_loss(parse_method(name), HP)(policy, batch, reference).backward()
        optimizer.step()
        after = sum(_hf_loss(policy, row).item() for row in forget)
        assert after > before, name


def test_method_names_and_sweep_points():
    assert parse_method("simnpo-klr").needs_reference and not parse_method("simnpo").needs_reference
    with pytest.raises(ValueError, match="unknown unlearning method 'rt-gdr2'"):
        parse_method("rt-gdr2")
    config = {
        "baselines": {
            "methods": ["ga", "npo-klr", "icu"],
            "learning_rate": {"ga": 1e-5, "npo": 2e-5},
            "sweep": {"methods": ["ga", "icu"], "scales": [0.3, 3]},
        }
    }
    assert baseline_runs(config) == {
        "ga": ("ga", 1e-5),
        "ga-lr3e-06": ("ga", 3e-6),
        "ga-lr3e-05": ("ga", 3e-5),
        "npo-klr": ("npo-klr", 2e-5),
        "icu": ("icu", None),
    }
