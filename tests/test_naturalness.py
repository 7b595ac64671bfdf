"""Naturalness: proxies and fluency entropy on fixed strings (values worked out by hand), score
parsing, and the endpoint judge against a real local HTTP server speaking the OpenAI API."""

import json
import math
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from rulepipe.evaluation.fluency import ngram_entropy, words
from rulepipe.evaluation.naturalness import CRITERIA, EndpointJudge, aggregate, judge_prompts, parse_scores, proxies


def test_ngram_entropy_by_hand():
    # "a b a b": bigrams ab, ba, ab -> H = -(2/3 log2 2/3 + 1/3 log2 1/3); trigrams aba, bab -> 1 bit
    h2 = -(2 / 3 * math.log2(2 / 3) + 1 / 3 * math.log2(1 / 3))
    assert ngram_entropy(["a", "b", "a", "b"]) == pytest.approx((2 / 3 * h2 + 4 / 3 * 1.0) / 2)
    assert ngram_entropy(["a"]) == 0.0
    assert words("I'm not sure, sorry.") == ["i", "'", "m", "not", "sure", ",", "sorry", "."]


def test_proxies_by_hand():
    responses = ["I'm not sure about Ada Quill.", "1950 1950 1950 1950", "She was born in Varn."]
    found = proxies(responses, ["Ada Quill"])
    assert found["refusal_rate"] == pytest.approx(1 / 3)
    assert found["named_rate"] == pytest.approx(1 / 3)
    assert found["repetition_rate"] == pytest.approx(1 / 3)  # only "1950 1950 1950" repeats
    # word bigrams: 8 ("i ' m not sure about ada quill .") + 3 (one distinct) + 5 = 16, 8 + 1 + 5 = 14 distinct
    assert found["distinct_2"] == pytest.approx(14 / 16)


def test_scores_parse_and_aggregate():
    assert parse_scores(" 85\nHelpfulness: 70.5\nTruthfulness: 100") == {"read": 0.85, "help": 0.705, "truth": 1.0}
    assert parse_scores("Readability: 250, Helpfulness = 40") == {"read": None, "help": 0.4, "truth": None}
    items = [{"query": "Who is Ada?", "prediction": "I don't know Ada."}, {"query": "Q", "prediction": "A"}]
    asked = judge_prompts(items)
    assert len(asked) == 2 and "I don't know Ada." in asked[0] and all(t in asked[0] for t, _ in CRITERIA.values())
    replies = [" 90\nHelpfulness: 80\nTruthfulness: 100", " 70\nHelpfulness: none\nTruthfulness: 50"]
    result = aggregate(items, replies, "test")
    assert result["nat_read"] == pytest.approx(0.8) and result["nat_help"] == pytest.approx(0.8)
    assert result["nat_truth"] == pytest.approx(0.75) and result["judge_parse_rate"] == pytest.approx(5 / 6)
    assert result["nat_all"] == pytest.approx((0.8 + 0.8 + 0.75) / 3)


class _Handler(BaseHTTPRequestHandler):
    seen: list = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Handler.seen.append((self.path, self.headers.get("Authorization"), body))
        reply = {"choices": [{"message": {"role": "assistant", "content": "Score: 64"}}]}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_endpoint_judge_speaks_the_openai_api(monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("JUDGE_KEY", "secret")
    try:
        judge = EndpointJudge(f"http://127.0.0.1:{server.server_port}/v1", "judge-model", "JUDGE_KEY", 8)
        assert judge(["rate this"]) == ["Score: 64"]
    finally:
        server.shutdown()
    path, auth, body = _Handler.seen[-1]
    assert path == "/v1/chat/completions" and auth == "Bearer secret"
    assert body["model"] == "judge-model" and body["messages"][0]["content"] == "rate this" and body["temperature"] == 0
