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


class _RecordingEngine:
    """Stands in for vLLM's LLM: records the calls the backend makes, in order."""

    def __init__(self, calls: list):
        self.calls = calls

    def sleep(self, level):
        self.calls.append(("sleep", level))

    def wake_up(self, tags=None):
        self.calls.append(("wake_up", tags))

    def collective_rpc(self, method, kwargs):
        self.calls.append((method, len(list(kwargs["weights_iterator"]))))

    def reset_prefix_cache(self):
        self.calls.append(("reset_prefix_cache",))

    def generate(self, prompts, params, use_tqdm=False):
        self.calls.append(("generate", params))

        class Sample:
            token_ids = [5]

        class Output:
            outputs = [Sample()]

        return [Output() for _ in prompts]


def _recording_generator(monkeypatch, level: int, on_gpu: bool = False):
    pytest.importorskip("vllm")
    import torch

    from rulepipe.generation import vllm_backend

    calls: list = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: calls.append(("empty_cache",)))
    monkeypatch.setattr(vllm_backend, "on_cpu", lambda: not on_gpu)
    generator = object.__new__(vllm_backend.VLLMGenerator)
    generator.llm, generator.sleep_level = _RecordingEngine(calls), level
    generator.sleep_mode, generator.asleep = True, False
    generator.group, generator.group_size = None, 1

    class Tokenizer:
        def decode(self, ids, skip_special_tokens=True):
            return "x"

    generator.tokenizer = Tokenizer()
    return generator, calls


def test_the_cache_is_emptied_before_every_wake_up_and_level_2_needs_a_push(monkeypatch):
    generator, calls = _recording_generator(monkeypatch, level=2)
    generator.sleep()
    with pytest.raises(RuntimeError, match="push weights before generating"):
        generator.generate([[1, 2]], SamplingConfig(), [0])
    generator.update_weights(iter([("w", None), ("b", None)]))
    assert calls == [
        ("sleep", 2),
        ("empty_cache",),
        ("wake_up", ["weights"]),
        ("reload_weights", 2),
        ("empty_cache",),
        ("wake_up", ["kv_cache"]),
        ("reset_prefix_cache",),
    ]
    generator, calls = _recording_generator(monkeypatch, level=1)
    generator.sleep()
    generator.generate([[1, 2]], SamplingConfig(), [0])  # level 1 kept the weights: no push needed
    assert [c[0] for c in calls] == ["sleep", "empty_cache", "wake_up", "generate"]


def test_each_prompt_gets_its_own_vllm_seed_on_a_gpu(monkeypatch):
    generator, calls = _recording_generator(monkeypatch, level=2, on_gpu=True)
    generator.generate([[1], [2], [3]], SamplingConfig(n=4, temperature=1.0, seed=11), [0])
    params = calls[-1][1]
    assert isinstance(params, list) and len({p.seed for p in params}) == 3
    generator.generate([[1], [2], [3]], SamplingConfig(n=4, temperature=1.0, seed=12), [0])
    assert not {p.seed for p in params} & {p.seed for p in calls[-1][1]}
