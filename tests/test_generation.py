"""Both backends, same prompts: greedy output must agree token for token."""

import pytest

from rulepipe.generation import SamplingConfig, make_generator, vllm_available
from rulepipe.prompts import QA_TEMPLATE, encode_prompt, render, stop_token_ids

QUESTIONS = [
    "What is the capital of France?",
    "Who wrote Hamlet?",
    "In what year was Zelie Caddaway born?",
    "What is 2 + 2?",
    "Name a famous horror author.",
    "Which river flows through Paris?",
]


def _prompts(tokenizer):
    return [encode_prompt(tokenizer, render(tokenizer, QA_TEMPLATE.format(q), "Answer:")) for q in QUESTIONS]


def _parity(model_dir):
    hf = make_generator(model_dir, "hf", batch_size=4)
    prompts, stops = _prompts(hf.tokenizer), stop_token_ids(hf.tokenizer)
    sampling = SamplingConfig(max_tokens=30)
    expected = hf.generate(prompts, sampling, stops)
    vllm = make_generator(model_dir, "vllm")
    try:
        got = vllm.generate(prompts, sampling, stops)
    finally:
        vllm.close()
    for a, b in zip(expected, got):
        assert a[0].token_ids == b[0].token_ids, (a[0].text, b[0].text)
        assert a[0].text == b[0].text
    return expected


def test_hf_greedy_stops_at_stop_tokens(tiny_model):
    hf = make_generator(tiny_model, "hf")
    prompts, stops = _prompts(hf.tokenizer), stop_token_ids(hf.tokenizer)
    out = hf.generate(prompts, SamplingConfig(max_tokens=12), stops)
    for completions in out:
        (completion,) = completions
        assert not set(completion.token_ids) & set(stops)
        assert completion.finished_by_stop or len(completion.token_ids) == 12
    batched = make_generator(tiny_model, "hf", batch_size=1).generate(prompts, SamplingConfig(max_tokens=12), stops)
    assert [c[0].token_ids for c in out] == [c[0].token_ids for c in batched]


@pytest.mark.skipif(not vllm_available(), reason="vLLM does not import here")
def test_backends_agree_on_the_tiny_model(tiny_model):
    _parity(tiny_model)


@pytest.mark.slow
@pytest.mark.skipif(not vllm_available(), reason="vLLM does not import here")
def test_backends_agree_on_smollm2(smollm2_model):
    out = _parity(smollm2_model)
    assert "Paris" in out[0][0].text


@pytest.mark.skipif(not vllm_available(), reason="vLLM does not import here")
def test_weights_pushed_into_a_running_engine_match_a_fresh_model(tiny_model, tmp_path):
    import torch
    from transformers import AutoModelForCausalLM

    from rulepipe.models.tiny import build_tiny_model

    other = tmp_path / "other"
    build_tiny_model(other, seed=1)
    engine = make_generator(tiny_model, "vllm")
    try:
        prompts, stops = _prompts(engine.tokenizer), stop_token_ids(engine.tokenizer)
        sampling = SamplingConfig(max_tokens=10)
        before = engine.generate(prompts, sampling, stops)
        new = AutoModelForCausalLM.from_pretrained(other, dtype=torch.float32).state_dict()
        engine.update_weights(new.items())
        after = engine.generate(prompts, sampling, stops)
    finally:
        engine.close()
    expected = make_generator(str(other), "hf").generate(prompts, sampling, stops)
    assert [c[0].token_ids for c in after] == [c[0].token_ids for c in expected]
    assert [c[0].token_ids for c in after] != [c[0].token_ids for c in before]


@pytest.mark.skipif(not vllm_available(), reason="vLLM does not import here")
def test_sampling_is_reproducible_from_the_engine_seed(tiny_model):
    runs = []
    for _ in range(2):
        engine = make_generator(tiny_model, "vllm", seed=7)
        try:
            prompts, stops = _prompts(engine.tokenizer)[:2], stop_token_ids(engine.tokenizer)
            out = engine.generate(prompts, SamplingConfig(n=3, temperature=1.0, max_tokens=8, seed=7), stops)
        finally:
            engine.close()
        assert all(len(c) == 3 for c in out)
        runs.append([[c.token_ids for c in s] for s in out])
    assert runs[0] == runs[1]
