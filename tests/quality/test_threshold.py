from __future__ import annotations

import re

import numpy as np
import pytest

from labelmill.exceptions import ConfigError, InputError
from labelmill.quality import (
    DEFAULT_THRESHOLDS,
    ThresholdPolicy,
    choose_threshold,
    clopper_pearson_lower,
)


def test_default_sequence_is_strictly_decreasing_and_ends_at_zero():
    grid = np.asarray(DEFAULT_THRESHOLDS)
    assert np.all(np.diff(grid) < 0)
    assert grid[0] == 0.999 and grid[-1] == 0.0


def test_too_few_audit_labels_accept_nothing_and_say_how_many_more():
    d = choose_threshold(np.full(40, 0.999), np.ones(40, bool))
    assert d.threshold is None
    assert d.n_min == 59
    assert d.n_more_needed == 19
    assert "too few audit labels" in d.reason
    assert not d.accepts([0.9999, 1.0]).any()
    assert all(step.outcome == "skipped" for step in d.steps)
    assert "No label is auto-accepted" in d.statement()


def test_exactly_enough_all_correct_items_pass():
    d = choose_threshold(np.full(59, 0.999), np.ones(59, bool), thresholds=[0.99, 0.5])
    assert d.threshold == 0.5  # every item is above both thresholds, both pass
    assert d.lower_bound >= 0.95
    assert d.n_audit_above == 59 and d.n_correct_above == 59
    assert d.accepted_share_on_audit == 1.0
    assert "last threshold of the sequence" in d.reason


def test_stops_at_first_failure_even_if_a_lower_threshold_would_pass():
    # 100 items at 0.99 all right; 100 items at 0.9 with 30 wrong; 2000 at 0.6 all right
    scores = np.r_[np.full(100, 0.99), np.full(100, 0.9), np.full(2000, 0.6)]
    correct = np.r_[np.ones(100), np.r_[np.ones(70), np.zeros(30)], np.ones(2000)].astype(bool)
    d = choose_threshold(scores, correct, thresholds=[0.99, 0.9, 0.6], min_audit_above=59)
    assert d.threshold == 0.99
    assert [s.outcome for s in d.steps] == ["passed", "failed"]
    assert "the next threshold 0.9 failed" in d.reason
    # the overall accuracy would pass at 0.6, yet the sequence stopped before it
    assert clopper_pearson_lower(2170, 2200) >= 0.95


def test_chosen_threshold_is_the_lowest_that_passed():
    rng = np.random.default_rng(0)
    scores = rng.uniform(0.5, 1.0, 3000)
    correct = rng.uniform(size=3000) < scores
    d = ThresholdPolicy(target_accuracy=0.9, confidence=0.9).choose(scores, correct)
    passed = [s.threshold for s in d.steps if s.outcome == "passed"]
    assert d.threshold == min(passed)
    above = scores >= d.threshold
    assert d.n_audit_above == above.sum()
    assert d.accuracy_estimate == pytest.approx(correct[above].mean())
    # 1,500 audit items above half the sample: two sequences, each at 1 - 0.1 / 2
    assert {step.sequence for step in d.steps} == {0, 1}
    assert d.lower_bound == pytest.approx(
        clopper_pearson_lower(correct[above].sum(), above.sum(), confidence=0.95)
    )
    np.testing.assert_array_equal(d.accepts(scores), above)
    assert "auto-accepted labels (confidence >=" in d.statement()


def test_first_testable_failure_explains_itself():
    scores = np.full(200, 0.99)
    correct = np.r_[np.ones(150), np.zeros(50)].astype(bool)
    d = choose_threshold(scores, correct)
    assert d.threshold is None
    assert d.n_more_needed == 0
    assert "the first testable threshold" in d.reason


def test_population_scores_decide_which_thresholds_are_skipped():
    audit = np.full(100, 0.995)
    ok = np.ones(100, bool)
    # the population says only 1% of items are that confident: expected 1 audit item
    population = np.r_[np.full(10, 0.995), np.full(990, 0.5)]
    d = choose_threshold(audit, ok, population_scores=population, thresholds=[0.99, 0.4])
    assert d.steps[0].outcome == "skipped"
    d2 = choose_threshold(audit, ok, thresholds=[0.99, 0.4])
    assert d2.steps[0].outcome == "passed"


def test_empty_audit_sample():
    d = choose_threshold(np.array([]), np.array([], dtype=bool))
    assert d.threshold is None and d.n_more_needed == 59


@pytest.mark.parametrize("name", ["target_accuracy", "confidence"])
@pytest.mark.parametrize("value", [1.5, 0.0, 1.0, -0.1, "0.9", True, None])
def test_policy_parameters_must_be_in_open_unit_interval(name, value):
    msg = (
        rf"The '{name}' parameter of ThresholdPolicy must be a float in \(0, 1\)\. "
        rf"Got {re.escape(repr(value))} instead\."
    )
    with pytest.raises(ConfigError, match=msg):
        ThresholdPolicy(**{name: value}).choose([0.9], [True])
    with pytest.raises(ConfigError, match=rf"The '{name}' parameter of choose_threshold"):
        choose_threshold([0.9], [True], **{name: value})


def test_error_message_exact_style():
    with pytest.raises(ConfigError) as info:
        ThresholdPolicy(target_accuracy=1.5).choose([0.9], [True])
    assert str(info.value) == (
        "The 'target_accuracy' parameter of ThresholdPolicy must be a float in (0, 1). "
        "Got 1.5 instead."
    )


@pytest.mark.parametrize("thresholds", [[], [0.5, 0.9], [0.9, 0.9], [1.5, 0.5], [0.9, np.nan], "x"])
def test_bad_thresholds(thresholds):
    with pytest.raises(
        ConfigError,
        match=r"The 'thresholds' parameter of ThresholdPolicy must be a non-empty, "
        r"strictly decreasing",
    ):
        ThresholdPolicy(thresholds=thresholds).choose([0.9], [True])


def test_bad_inputs():
    with pytest.raises(InputError, match=r"expects 'correct' as a 1-D bool array of shape \(2,\)"):
        choose_threshold([0.9, 0.8], [True])
    with pytest.raises(InputError, match=r"'correct' as booleans \(or 0/1\)"):
        choose_threshold([0.9, 0.8], [2, 1])
    with pytest.raises(InputError, match=r"'confidence_scores' as a 1-D array of finite floats"):
        choose_threshold([[0.9, 0.8]], [1, 1])
    with pytest.raises(InputError, match=r"'confidence_scores' as numbers"):
        choose_threshold(["high"], [1])
    with pytest.raises(InputError, match=r"'population_scores' as a 1-D array"):
        choose_threshold([0.9], [1], population_scores=[np.nan])
    with pytest.raises(InputError, match=r"at least one population score"):
        choose_threshold([0.9], [1], population_scores=[])


def test_policy_repr():
    assert repr(ThresholdPolicy()) == (
        "ThresholdPolicy(target_accuracy=0.95, confidence=0.95, thresholds=None, "
        "min_audit_above=None)"
    )


def test_min_audit_above_sets_where_testing_starts():
    scores = np.r_[np.full(70, 0.995), np.full(300, 0.9)]
    correct = np.ones(370, bool)
    # default start: 2 * 59 = 118 items above -> 0.995 (70 items) is skipped
    d = choose_threshold(scores, correct, thresholds=[0.99, 0.5])
    assert [s.outcome for s in d.steps] == ["skipped", "passed"]
    d = choose_threshold(scores, correct, thresholds=[0.99, 0.5], min_audit_above=59)
    assert [s.outcome for s in d.steps] == ["passed", "passed"]
    with pytest.raises(
        ConfigError,
        match=r"The 'min_audit_above' parameter of choose_threshold must be None or an int "
        r">= 59 \(fewer audit items can never certify 0\.95 at confidence 0\.95\)\. Got 10",
    ):
        choose_threshold(scores, correct, min_audit_above=10)
    with pytest.raises(ConfigError, match=r"'min_audit_above' parameter of ThresholdPolicy"):
        ThresholdPolicy(min_audit_above=60.0).choose(scores, correct)


def test_large_audit_sample_runs_a_second_sequence_from_half_the_sample():
    # the 150 most confident items hold 4 errors: a sequence starting there stops at once,
    # yet the 700 items above 0.8 are 99% right
    scores = np.r_[np.full(150, 0.995), np.full(550, 0.9), np.full(300, 0.5)]
    correct = np.r_[
        np.r_[np.zeros(4), np.ones(146)], np.ones(550), np.r_[np.zeros(150), np.ones(150)]
    ].astype(bool)
    d = choose_threshold(scores, correct, thresholds=[0.99, 0.8, 0.4])
    first = [s for s in d.steps if s.sequence == 0]
    second = [s for s in d.steps if s.sequence == 1]
    assert [s.outcome for s in first] == ["failed"]  # 146 of 150: lower bound < 0.95
    assert [s.outcome for s in second] == ["skipped", "passed", "failed"]
    assert d.threshold == 0.8 and d.n_audit_above == 700 and d.n_correct_above == 696
    assert d.lower_bound == pytest.approx(clopper_pearson_lower(696, 700, confidence=0.975))
    assert "two fixed sequences, from 144 and 500 audited items above, each at 97.5%" in d.reason
    # one sequence, as with a small sample or an explicit start, stops at the first failure
    d = choose_threshold(scores, correct, thresholds=[0.99, 0.8, 0.4], min_audit_above=118)
    assert d.threshold is None and {s.sequence for s in d.steps} == {0}
    assert "the first testable threshold 0.99 (146 of 150 audited items" in d.reason


def test_both_sequences_failing_name_both_first_tests():
    scores = np.r_[np.full(200, 0.995), np.full(800, 0.9)]
    correct = np.r_[np.r_[np.zeros(20), np.ones(180)], np.ones(800)].astype(bool)
    d = choose_threshold(scores, correct, thresholds=[0.99, 0.95, 0.5])
    # sequence 1 starts at 500 items above: 0.5 (1000 items, 980 right) passes; make it fail
    assert d.threshold == 0.5
    correct[200:400] = False
    d = choose_threshold(scores, correct, thresholds=[0.99, 0.95, 0.5])
    assert d.threshold is None
    assert re.search(
        r"the first testable thresholds 0\.99 \(180 of 200 .*\) and 0\.5 \(780 of 1000 .*\) "
        r"failed: below the target 0\.950 \(two fixed sequences",
        d.reason,
    )
