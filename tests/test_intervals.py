"""The bootstrap intervals (report/intervals.py) on cases whose interval is known."""

import numpy as np
import pandas as pd
import pytest

from rulepipe.report import intervals


def frame(runs: dict[str, dict[tuple[str, str], list[float]]], target: str = "1_A") -> pd.DataFrame:
    rows = [
        {"method": method, "target": target, "protocol": "rwku", "side": side, "level": level, "index": i, "score": v}
        for method, parts in runs.items()
        for (side, level), values in parts.items()
        for i, v in enumerate(values)
    ]
    return pd.DataFrame(rows, columns=intervals.SCORE_FRAME)


def test_percentile_interval_of_known_replicates():
    assert intervals.percentile_interval(np.arange(101)) == pytest.approx((2.5, 97.5))
    assert intervals.percentile_interval(np.array([np.nan, 1.0, 3.0]), level=0.0) == (2.0, 2.0)  # NaN left out
    assert np.isnan(intervals.percentile_interval(np.array([np.nan]))[0])


def test_a_constant_score_has_a_point_interval_and_two_probes_span_zero_to_one():
    reps = intervals.replicates(frame({"a": {("forget", "1"): [0.4] * 5}, "b": {("forget", "1"): [0.0, 1.0]}}), 0)
    assert intervals.percentile_interval(reps[("a", "1_A", "rwku")]["forget_fb"]) == pytest.approx((0.4, 0.4))
    # two probes: a resample's mean is 0, 0.5 or 1 with chance 1/4, 1/2, 1/4, so the central 95% is [0, 1]
    assert intervals.percentile_interval(reps[("b", "1_A", "rwku")]["forget_fb"]) == (0.0, 1.0)


def test_a_binary_score_matches_the_normal_approximation():
    values = [1.0] * 50 + [0.0] * 50  # mean 0.5, standard error 0.05: about [0.40, 0.60]
    reps = intervals.replicates(frame({"a": {("neighbor", "1"): values}}), seed=3, resamples=4000)
    low, high = intervals.percentile_interval(reps[("a", "1_A", "rwku")]["neighbor_all"])
    assert low == pytest.approx(0.40, abs=0.015) and high == pytest.approx(0.60, abs=0.015)


def test_all_is_the_mean_of_level_means_with_the_level_counts_fixed():
    # FB always 1, QA always 0: every resample's All is exactly 0.5 (a pooled resample would vary)
    reps = intervals.replicates(frame({"a": {("neighbor", "1"): [1.0] * 3, ("neighbor", "2"): [0.0] * 9}}), 0)
    assert set(reps[("a", "1_A", "rwku")]["neighbor_all"]) == {0.5}


def test_runs_of_a_target_share_their_draws_so_equal_runs_differ_by_exactly_zero():
    values = list(np.linspace(0, 1, 20))
    reps = intervals.replicates(frame({"a": {("forget", "2"): values}, "b": {("forget", "2"): values}}), 0)
    difference = reps[("a", "1_A", "rwku")]["forget_all"] - reps[("b", "1_A", "rwku")]["forget_all"]
    assert intervals.percentile_interval(difference) == (0.0, 0.0)
    again = intervals.replicates(frame({"b": {("forget", "2"): values}, "a": {("forget", "2"): values}}), 0)
    assert np.array_equal(again[("a", "1_A", "rwku")]["forget_all"], reps[("a", "1_A", "rwku")]["forget_all"])


def test_naturalness_resamples_the_replies_with_their_criteria_together_and_skips_ungraded_ones():
    # read and truth of one reply move together: read - truth is 0.5 in every resample
    read, truth = [1.0, 0.5, 0.75, np.nan], [0.5, 0.0, 0.25, np.nan]
    reps = intervals.replicates(frame({"a": {("nat_read", "0"): read, ("nat_truth", "0"): truth}}), 0)[
        ("a", "1_A", "rwku")
    ]
    finite = np.isfinite(reps["nat_read"])
    assert np.allclose((reps["nat_read"] - reps["nat_truth"])[finite], 0.5)
    assert np.allclose(reps["nat_all"][finite], (reps["nat_read"] + reps["nat_truth"])[finite] / 2)
    assert "nat_help" not in reps


def test_interval_frame_and_the_mean_over_targets():
    scores = pd.concat(
        [frame({"a": {("forget", "1"): [0.2] * 4}}, "1_A"), frame({"a": {("forget", "1"): [0.6] * 4}}, "2_B")]
    )
    bounds = intervals.interval_frame(scores, 0).set_index("target")
    assert bounds.loc["1_A", "forget_fb_lo"] == pytest.approx(0.2) and bounds.loc[
        "2_B", "forget_all_hi"
    ] == pytest.approx(0.6)
    assert np.allclose(intervals.mean_over_targets(intervals.replicates(scores, 0), "a", "rwku", "forget_all"), 0.4)
