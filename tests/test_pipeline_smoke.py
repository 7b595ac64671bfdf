"""The whole DAG, end to end, on the smoke preset (tiny random model) in a temporary directory."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import REPO


def snakemake(results, *args, presets=("smoke",), config=()):
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "--cores",
        "2",
        "--configfile",
        *[f"workflow/presets/{name}.yaml" for name in presets],
        "--config",
        f"results={results}",
        *config,
        *args,
    ]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=2400)


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    results = tmp_path_factory.mktemp("smoke") / "results"
    run = snakemake(results)
    assert run.returncode == 0, run.stderr[-4000:]
    return results


def test_dag_writes_every_artifact(smoke_run):
    r = smoke_run
    (target,) = [p.parent.name for p in (r / "data" / "fictional-smoke").glob("*/target.json")]
    assert (r / "models" / "tiny-random" / "base" / "config.json").exists()
    assert (r / "fictional-smoke" / "tiny-random" / "original" / "model" / "train_log.json").exists()
    for method in ("base", "original", "rs", "rule-grpo", "rule-rpp", "rule-rpp-baseline", "rule-ppo"):
        assert (r / "fictional-smoke" / "tiny-random" / method / target / "eval.json").exists()
        assert (r / "logs" / "fictional-smoke" / "tiny-random" / method / target / "score.log").exists()
        assert (r / "benchmarks" / "fictional-smoke" / "tiny-random" / method / target / "score.tsv").exists()
    rule = r / "fictional-smoke" / "tiny-random" / "rule" / target
    assert (rule / "rebo_curves.png").stat().st_size > 10_000
    budget = json.loads((rule / "budget.json").read_text())
    assert budget["tokens"]["d_f_percent"] > 0 and budget["tokens"]["d_r_percent"] > 0
    assert budget["synthesis"]["queries"] == budget["candidate_queries"] >= budget["forget_queries"] >= 4
    rows = json.loads((rule / "rl_data.json").read_text())
    assert (
        sum(row["solution"][0] == "<normal>" for row in rows) == budget["boundary_rows"] <= 2 * budget["boundary_pairs"]
    )
    rs_tokens = json.loads((r / "fictional-smoke" / "tiny-random" / "rs" / target / "rs_data.json").read_text())
    rs_tokens = rs_tokens["report"]["tokens"]
    log = json.loads(
        (r / "fictional-smoke" / "tiny-random" / "rule-grpo" / target / "model" / "train_log.json").read_text()
    )
    assert [h["step"] for h in log["history"]] == [1, 2]
    assert {"reward_forget", "reward_boundary", "refusal_rate_forget", "kl", "response_tokens"} <= set(
        log["history"][0]
    )
    every = pd.read_csv(r / "summary.csv")
    assert list(every.columns[:5]) == ["benchmark", "model", "method", "target", "protocol"]
    finished = every[~every["method"].str.contains(r"-step\d+$")]  # in-loop points: the main protocol only
    assert (finished["protocol"] == "rule_release").sum() == (finished["protocol"] == "rwku").sum()
    summary = every[every["protocol"] == "rwku"]
    table_methods = [
        "base",
        "original",
        "rs",
        "rule-grpo",
        "rule-rpp",
        "rule-rpp-baseline",
        "rule-ppo",
        "ga",
        "npo-gdr",
        "simnpo-klr",
        "rt",
        "dpo",
        "icu",
    ]
    # the curves' points: ReBO's in-loop evaluations (eval_every 1 of 2 steps), the baselines' (half an epoch in)
    checkpoints = set(summary["method"][summary["method"].str.contains(r"-step\d+$")])
    assert {f"rule-{a}-step1" for a in ("grpo", "rpp", "rpp-baseline", "ppo")} <= checkpoints
    assert {"ga", "npo-gdr", "simnpo-klr", "rt", "dpo", "ga-lr3e-03"} == {
        p.rsplit("-step", 1)[0] for p in checkpoints if not p.startswith("rule-")
    }
    assert set(summary["method"]) - checkpoints == set(table_methods) | {"ga-lr3e-03"}
    assert summary[["forget_all", "neighbor_all", "forget_all_lo", "neighbor_all_hi"]].notna().all().all()
    assert (summary["forget_all_lo"] <= summary["forget_all"]).all()
    assert (summary["forget_all"] <= summary["forget_all_hi"]).all()
    scores = pd.read_csv(r / "probe_scores.csv")
    assert set(scores["method"]) == set(summary["method"])
    judged = summary[~summary["method"].isin({"ga-lr3e-03"} | checkpoints)]
    assert judged[["refusal_rate", "named_rate", "repetition_rate", "fluency_entropy"]].notna().all().all()
    assert judged["judge"].str.startswith("local:").all()
    utility_mia = ["mmlu", "bbh", "truthfulqa_mc1", "truthfulqa_mc2", "triviaqa_em", "triviaqa_f1", "fluency"]
    utility_mia += ["mia_forget_loss", "mia_retain_loss", "mia_auc"]
    assert judged[utility_mia].notna().all().all()
    assert (judged["mia_forget_loss"] > 0).all() and judged["mia_auc"].between(0, 1).all()
    tokens = summary.set_index("method")
    assert tokens.loc["npo-gdr", "d_r_percent"] == 100 and tokens.loc["ga", "d_r_percent"] == 0
    assert tokens.loc["rule-grpo", "d_f_percent"] == rs_tokens["rule"]["d_f_percent"]
    assert tokens.loc["rs", "d_r_percent"] == rs_tokens["rs"]["d_r_percent"]
    table = pd.read_csv(r / "report" / "table.csv", index_col=0)
    assert list(table[table["protocol"] == "rwku"].index) == table_methods
    assert list(table[table["protocol"] == "rule_release"].index) == table_methods
    markdown = (r / "report" / "table.md").read_text()
    assert (
        markdown.startswith("**Evaluation protocol: rwku**") and "| Method | D_f / D_r tokens | Forget FB |" in markdown
    )
    assert "**Evaluation protocol: rule_release**" in markdown
    assert (r / "report" / "table.tex").read_text().startswith(r"\begin{tabular}")
    assert (r / "report" / "utility.md").read_text().startswith("| Method | MMLU | BBH |")
    assert (r / "report" / "tradeoff.png").stat().st_size > 10_000
    areas = pd.read_csv(r / "report" / "tradeoff_area.csv", index_col=0)
    assert {"GA", "NPO", "SimNPO", "RT", "DPO", "ICU", "RULE"} == set(areas.index)
    assert (areas["retain>=0.6_lo"] <= areas["retain>=0.6"]).all() and "retain>=0.6_hi" in areas
    points = pd.read_csv(r / "report" / "tradeoff_points.csv", index_col=0)
    assert points.loc["rule-grpo-step1", "curve"] == "rule-grpo" and points.loc["rule-grpo-step1", "step"] == 1
    assert "Area at retain >= 0.6: RULE" in (r / "report" / "tradeoff_area.md").read_text()
    assert summary[["forget_all", "neighbor_all"]].apply(lambda c: c.between(0, 1)).all().all()


def test_nothing_left_to_do_then_forcerun_reruns_only_that_rule(smoke_run):
    dry = snakemake(smoke_run, "-n")
    assert dry.returncode == 0 and "Nothing to be done" in dry.stdout + dry.stderr
    forced = snakemake(smoke_run, "-n", "--forcerun", "summarize")
    out = forced.stdout + forced.stderr
    assert forced.returncode == 0
    assert "summarize" in out and "learn" not in out.split("Job stats:")[-1]
    one = snakemake(smoke_run, "-n", "--forcerun", "score")
    stats = (one.stdout + one.stderr).split("Job stats:")[-1]
    assert "score" in stats and "learn" not in stats and "prepare_model" not in stats


def test_a_changed_key_reruns_only_the_stages_that_read_it(smoke_run):
    """Only the keys a stage declares (rulepipe.stages.STAGES) reach it: ReBO's step count
    reruns ReBO and what reads its models, never the RULE data, the warm start or learn."""
    dry = snakemake(smoke_run, "-n", config=["rule={rebo: {steps: 3}}"])
    assert dry.returncode == 0, dry.stderr[-3000:]
    stats = (dry.stdout + dry.stderr).split("Job stats:")[-1].split("Reasons:")[0]
    assert "rebo " in stats and "score" in stats
    for rule in ("rule_data", "rs_sample", "warm_start", "learn", "unlearn", "prepare_benchmark"):
        assert rule not in stats, rule
    again = snakemake(smoke_run, "-n", config=["evaluation={max_new_tokens: 12}"])
    stats = (again.stdout + again.stderr).split("Job stats:")[-1].split("Reasons:")[0]
    # ReBO and the baselines ask the probes in-loop with the same length (their curves' points)
    jobs = {line.split()[0] for line in stats.splitlines() if line.strip()}
    assert {"score", "rebo", "unlearn"} <= jobs and not jobs & {"rule_data", "rs_sample", "warm_start", "learn"}


def test_the_same_seed_gives_the_same_summary(smoke_run, tmp_path):
    """The smoke chain again from nothing, in another results directory: summary.csv byte for
    byte, the RULE rows (sampled rollouts, RL updates) included."""
    again = tmp_path / "results"
    run = snakemake(again)
    assert run.returncode == 0, run.stderr[-4000:]
    first, second = (pd.read_csv(r / "summary.csv") for r in (smoke_run, again))
    rule = first["method"].str.startswith("rule-") | (first["method"] == "rs")
    assert rule.sum() >= 5
    pd.testing.assert_frame_equal(first[rule], second[rule])
    assert (again / "summary.csv").read_bytes() == (smoke_run / "summary.csv").read_bytes()


def test_html_report_bundles_the_figures(smoke_run, tmp_path):
    page = tmp_path / "report.html"
    built = snakemake(smoke_run, "--report", str(page))
    assert built.returncode == 0, built.stderr[-3000:]
    assert page.stat().st_size > 100_000


def test_muse_books_runs_through_the_same_dag(tmp_path):
    results = tmp_path / "results"
    run = snakemake(results, presets=("smoke", "smoke-muse"))
    assert run.returncode == 0, run.stderr[-4000:]
    runs = results / "muse-smoke" / "tiny-random"
    methods = ["base", "original", "rs", "rule-grpo", "rule-rpp", "ga-gdr", "icu"]
    for method in methods:
        record = json.loads((runs / method / "books" / "muse.json").read_text())
        assert {"verbmem_f", "knowmem_f", "knowmem_r", "privleak", "privleak_auc"} <= set(record)
    rl_rows = json.loads((runs / "rule" / "books" / "rl_data.json").read_text())
    assert any(row["prompt"].startswith("Continue this passage") for row in rl_rows)
    assert {row["solution"][0] for row in rl_rows} == {"<reject>", "<normal>"}
    table = pd.read_csv(results / "report" / "muse.csv", index_col=0)
    assert list(table.index) == methods
    assert (results / "report" / "muse.md").read_text().startswith("| Method | VerbMem on D_f")
    summary = pd.read_csv(results / "summary.csv")
    curves = set(summary["method"][summary["method"].str.contains(r"-step\d+$")])  # in-loop points
    assert {"rule-grpo-step1", "rule-rpp-step1"} <= curves and set(summary["method"]) - curves == set(methods)
    assert summary[summary["method"].isin(methods)]["mia_auc"].notna().all()
