import math

import pandas as pd

from rulepipe.report.seeds import markdown, over_seeds


def row(method, forget, neighbor, lo=0.0):
    keys = {"benchmark": "fictional", "model": "m", "method": method, "target": "1_X", "protocol": "rwku"}
    return keys | {"forget_all": forget, "neighbor_all": neighbor, "forget_all_lo": lo, "judge": "likelihood:base"}


def test_mean_and_spread_over_seeds_by_hand():
    tables = {
        0: pd.DataFrame([row("rule-grpo", 0.2, 1.0), row("npo", 0.5, 0.6)]),
        1: pd.DataFrame([row("rule-grpo", 0.4, 1.0), row("npo", 0.3, 0.8, lo=0.1)]),
        2: pd.DataFrame([row("rule-grpo", 0.6, 0.7)]),  # npo missing on this seed
    }
    table = over_seeds(tables).set_index("method")
    grpo, npo = table.loc["rule-grpo"], table.loc["npo"]
    assert grpo["n_seeds"] == 3 and npo["n_seeds"] == 2
    assert math.isclose(grpo["forget_all_mean"], 0.4) and math.isclose(grpo["forget_all_sd"], 0.2)  # sd of .2 .4 .6
    assert math.isclose(grpo["neighbor_all_min"], 0.7) and grpo["neighbor_all_max"] == 1.0
    assert math.isclose(npo["forget_all_mean"], 0.4) and math.isclose(npo["forget_all_sd"], math.sqrt(0.02))
    assert "forget_all_lo_mean" not in table and "judge_mean" not in table  # intervals and text are not averaged
    text = markdown(table.reset_index())
    assert "| rule-grpo | 1_X | rwku | 3 | 40.0 ± 20.0 | 90.0 ± 17.3 |" in text


def test_one_seed_has_no_spread():
    table = over_seeds({7: pd.DataFrame([row("rs", 0.5, 1.0)])})
    assert table.loc[0, "n_seeds"] == 1 and math.isnan(table.loc[0, "forget_all_sd"])
    assert "| rs | 1_X | rwku | 1 | 50.0 | 100.0 |" in markdown(table)
