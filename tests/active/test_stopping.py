from __future__ import annotations

import json

import numpy as np
import pytest

from labelmill.active import StoppingRule, choose_stop_set, prediction_kappa
from labelmill.exceptions import ConfigError, InputError


def test_kappa_values():
    assert prediction_kappa([0, 1, 2], [0, 1, 2]) == 1.0
    assert prediction_kappa([1, 1, 1], [1, 1, 1]) == 1.0
    assert prediction_kappa([1, 1, 1], [0, 0, 0]) == 0.0
    # textbook example: po = 0.7, pe = 0.5 -> 0.4
    a = [1] * 5 + [0] * 5
    b = [1, 1, 1, 1, 0, 0, 0, 0, 1, 1]
    assert prediction_kappa(a, b) == pytest.approx((0.7 - 0.5) / 0.5)
    with pytest.raises(InputError, match="same length"):
        prediction_kappa([0, 1], [0])


def test_stops_after_patience_stable_rounds():
    rng = np.random.default_rng(0)
    base = rng.integers(0, 3, 500)
    rule = StoppingRule(kappa_threshold=0.99, patience=3)
    decisions = []
    for t in range(8):
        pred = base.copy()
        if t < 3:  # early models still change a lot
            flip = rng.choice(500, 100, replace=False)
            pred[flip] = (pred[flip] + 1) % 3
        decisions.append(rule.update(pred))
    stops = [d.stop for d in decisions]
    # t=3 is the first model equal to base (differs from t=2), t=4,5,6 agree -> stop at t=6
    assert stops == [False] * 6 + [True, True]
    assert decisions[6].stable_rounds == 3
    assert "predictions have stabilized" in decisions[6].reason
    assert decisions[0].kappa is None and "first round" in decisions[0].reason
    assert decisions[2].kappa < 0.99 and decisions[2].reason.startswith("continue")


def test_unstable_streak_resets():
    rule = StoppingRule(patience=2)
    a = np.array([0, 1] * 50)
    b = a.copy()
    b[:20] = 1 - b[:20]
    seq = [a, a, b, b, b]
    stops = [rule.update(p).stop for p in seq]
    assert stops == [False, False, False, False, True]


def test_coverage_criterion():
    preds = np.arange(100) % 2
    moving = [np.roll(preds, t) for t in range(6)]  # never stable
    rule = StoppingRule(patience=2, min_coverage_gain=0.01, criterion="either")
    covs = [0.2, 0.4, 0.5, 0.505, 0.506, 0.507]
    out = [rule.update(p, coverage=c) for p, c in zip(moving, covs, strict=True)]
    assert [d.stop for d in out] == [False, False, False, False, True, True]
    assert "coverage no longer grows" in out[4].reason
    assert out[3].coverage_gain == pytest.approx(0.005)


def test_both_and_single_criteria():
    preds = np.zeros(50, int)
    preds[:25] = 1
    for criterion, expected in [
        ("both", [False, False, False]),
        ("stabilizing", [False, False, True]),
        ("coverage", [False, False, False]),
    ]:
        rule = StoppingRule(patience=2, criterion=criterion)
        out = [rule.update(preds, coverage=c).stop for c in (0.1, 0.3, 0.5)]
        assert out == expected, criterion


def test_state_round_trip():
    rule = StoppingRule(patience=2)
    rule.update([0, 1, 1], coverage=0.3)
    rule.update([0, 1, 1], coverage=0.31)
    clone = StoppingRule.from_dict(json.loads(json.dumps(rule.to_dict())))
    assert clone.update([0, 1, 1], coverage=0.31) == rule.update([0, 1, 1], coverage=0.31)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(kappa_threshold=0), "'kappa_threshold' parameter"),
        (dict(patience=0), "'patience' parameter"),
        (dict(min_coverage_gain=-0.1), "'min_coverage_gain' parameter"),
        (dict(criterion="never"), "'criterion' parameter"),
    ],
)
def test_parameter_errors(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        StoppingRule(**kwargs).update([0, 1])


def test_update_errors():
    rule = StoppingRule()
    with pytest.raises(InputError, match="non-empty stop set"):
        rule.update([])
    rule.update([0, 1, 0])
    with pytest.raises(InputError, match="same stop set every round"):
        rule.update([0, 1])
    with pytest.raises(InputError, match="'coverage' passed to StoppingRule.update"):
        rule.update([0, 1, 0], coverage=1.2)
    with pytest.raises(InputError, match="damaged state"):
        StoppingRule.from_dict({"patience": 2})


def test_choose_stop_set():
    s = choose_stop_set(100, size=10, random_state=0)
    assert len(set(s.tolist())) == 10 and s.max() < 100
    assert choose_stop_set(5, size=10, random_state=0).tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ConfigError, match="n_items >= 1"):
        choose_stop_set(0)
    with pytest.raises(ConfigError, match="'size' of choose_stop_set"):
        choose_stop_set(10, size=0)
