"""Naturalness: proxies and fluency entropy on fixed strings (values worked out by hand), score
parsing, and the endpoint judge against a real local HTTP server speaking the OpenAI API."""

import json
import math
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from rulepipe.evaluation.fluency import ngram_entropy, words
from rulepipe.evaluation.naturalness import (
    CRITERIA,
    EndpointJudge,
    LocalJudge,
    aggregate,
    judge_prompts,
    parse_scores,
    proxies,
)


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
    result = aggregate([parse_scores(r) for r in replies], LocalJudge)
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


def test_endpoint_judge_records_no_credentials_and_keeps_a_total_time_limit(monkeypatch):
    from rulepipe.evaluation.naturalness import public_url
    from rulepipe.io import DataError

    assert public_url("https://user:tok3n@judge.example:8443/v1?api_key=tok3n#x") == "https://judge.example:8443/v1"
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/v1?key=tok3n"
        judge = EndpointJudge(url, "judge-model", "NO_KEY", 8, timeout=5, time_limit=30)
        assert "tok3n" not in judge.name and judge.name.startswith("endpoint:http://127.0.0.1:")
        assert judge(["a", "b"]) == ["Score: 64", "Score: 64"]
        assert _Handler.seen[-1][0] == "/v1/chat/completions?key=tok3n"
        clock = iter([0.0, 1.0, 40.0])
        monkeypatch.setattr("rulepipe.evaluation.naturalness.time.monotonic", lambda: next(clock))
        judge.started = None
        with pytest.raises(DataError, match=r"naturalness.judge.time_limit_s: .* more than 30 s \(1 of this batch's 2"):
            judge(["a", "b"])
    finally:
        server.shutdown()


def test_calibration_set_kinds_and_labels():
    from rulepipe.evaluation.calibration import PER_KIND, calibration_items

    probes = [{"query": f"What is fact {i} of Ada Quill?", "answer": f"answer {i}"} for i in range(10)]
    items = calibration_items("Ada Quill", probes, seed=0)
    kinds = {k: [i for i in items if i["kind"] == k] for k in ("refusal", "correct", "wrong", "gibberish")}
    assert len(items) == 6 * PER_KIND and all(len(v) == PER_KIND for v in kinds.values())
    assert all("Ada Quill" in i["prediction"] and i["natural"] and i["truthful"] for i in kinds["refusal"])
    assert all(not i["natural"] and i["truthful"] is None for i in kinds["gibberish"])
    for correct, wrong in zip(kinds["correct"], kinds["wrong"]):  # same question, another probe's answer
        assert correct["query"] == wrong["query"] and correct["prediction"] != wrong["prediction"]
    assert calibration_items("Ada Quill", probes, seed=0) == items


def test_auc_by_hand_and_the_verdict():
    from rulepipe.evaluation.calibration import auc, calibration, calibration_items
    from rulepipe.evaluation.naturalness import parse_scores

    assert auc([0.9, 0.8], [0.1, 0.8]) == (1 + 1 + 1 + 0.5) / 4
    assert auc([], [0.1]) is None
    items = calibration_items("Ada Quill", [{"query": f"Q{i}?", "answer": f"a{i}"} for i in range(5)])

    def reply(read: float, truth: float) -> str:
        return f" {read:.0f}\nHelpfulness: 50\nTruthfulness: {truth:.0f}"

    ideal = [reply(90 if i["natural"] else 10, 10 if i["truthful"] is False else 90) for i in items]

    def scored(replies: list[str]) -> list[dict]:
        return [parse_scores(r) for r in replies]

    assert calibration(items, scored(ideal)) | {"items": 0} == {
        "items": 0,
        "read_auc": 1.0,
        "truth_auc": 1.0,
        "parse_rate": 1.0,
        "calibrated": True,
    }
    flat = calibration(items, scored([reply(100, 100)] * len(items)))  # the 135M judge's habit: 100 for everything
    assert flat["read_auc"] == 0.5 and flat["truth_auc"] == 0.5 and not flat["calibrated"]
    unparsed = calibration(items, scored(["no numbers here"] * len(items)))
    assert unparsed["parse_rate"] == 0 and not unparsed["calibrated"]


def test_an_uncalibrated_judge_is_marked_in_the_table(tmp_path):
    import pandas as pd

    from rulepipe.report.table import write_table

    rows = [
        {"benchmark": "b", "model": "m", "method": "original", "target": "1_A", "protocol": "rwku", "forget_all": 0.9}
        | {"nat_read": 1.0, "nat_all": 1.0, "judge_calibrated": False, "judge_read_auc": 0.52, "judge_truth_auc": 0.5}
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "summary.csv", index=False)
    write_table(tmp_path / "summary.csv", tmp_path / "report", ["original"], "b", "m")
    md = (tmp_path / "report" / "table.md").read_text()
    # Help and Truth ungraded: left out of the table, the caption says why
    assert "| Original | n/a / n/a | - | - | - | 90.0 | 100.0† | 100.0† |" in md and "No Help column" in md
    assert "† Naturalness judge uncalibrated (Readability AUC 0.52, Truthfulness AUC 0.50" in md
    assert r"100.0$^\dagger$" in (tmp_path / "report" / "table.tex").read_text()


def test_completion_logprobs_match_the_shared_prompt_path(tiny_model):
    """The batched path (one forward pass per pair, length-sorted batches) gives what the
    shared-prompt path gives for the same pairs, to float rounding."""
    from rulepipe.evaluation.likelihood import Scorer

    scorer = Scorer(tiny_model, batch_size=3)
    pairs = [([5, 6, 7], [8, 9]), ([5, 6], [10]), ([11, 12, 13, 14], [15, 16, 17]), ([20], [21, 22])]
    assert scorer.completion_logprobs(pairs) == pytest.approx(scorer.continuation_logprobs(pairs), abs=1e-4)


def test_likelihood_judge_pieces_by_hand():
    from rulepipe.evaluation.likelihood_judge import distinct_trigram_share, platt, truthfulness

    assert distinct_trigram_share("the the the the the") == pytest.approx(1 / 3)  # 3 trigrams, 1 distinct
    assert distinct_trigram_share("It is 1950.") == 1.0  # it is 1950 / is 1950 . : 2 of 2
    assert truthfulness({"prediction": "I'm not familiar with Ada Quill.", "answer": "1950"}) == 1.0
    assert truthfulness({"prediction": "It is 1950.", "answer": "1950"}) == 1.0
    assert truthfulness({"prediction": "It is 1961.", "answer": "1950"}) == 0.0
    fit = platt([0.001, 0.002, 0.3, 0.5], [False, False, True, True])
    mapped = fit([0.0, 0.001, 0.3, 0.9])
    assert mapped[0] < mapped[1] < mapped[2] < mapped[3] and 0 < mapped[0] and mapped[3] < 1
    assert fit([]) == []


@pytest.mark.slow
def test_the_likelihood_judge_passes_its_calibration_on_rwku(smollm2_model, rwku_root):
    """SmolLM2-135M as a likelihood judge on RWKU target 1's calibration set: both AUCs at least
    0.8 (as a rubric-writing judge it scored 0.50 / 0.54), and refusals read as natural."""
    from rulepipe.data.rwku import list_targets, load_local_target
    from rulepipe.evaluation.calibration import calibration, calibration_items
    from rulepipe.evaluation.likelihood_judge import LikelihoodJudge

    target = load_local_target(rwku_root, list_targets(rwku_root)[0])
    probes = [{"query": p.query, "answer": p.answer} for p in target.forget_probes]
    items = calibration_items(target.name, probes)
    with LikelihoodJudge(smollm2_model, "likelihood:base") as judge:
        _, scores = judge.grade([], items)
    checked = calibration(items, scores, judge.criteria)
    assert checked["calibrated"], checked
    refusals = [s["read"] for s, i in zip(scores, items) if i["kind"] == "refusal"]
    loops = [s["read"] for s, i in zip(scores, items) if i["kind"] == "repetition"]
    assert min(refusals) > max(loops)
