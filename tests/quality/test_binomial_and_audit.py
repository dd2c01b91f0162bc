from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binom

from labelmill.exceptions import ConfigError, InputError
from labelmill.quality import (
    clopper_pearson_interval,
    clopper_pearson_lower,
    estimate_accuracy,
    estimate_accuracy_by_group,
    estimate_accuracy_by_status,
    required_audit_size,
)


@pytest.mark.parametrize(
    ("target", "conf", "n"), [(0.95, 0.95, 59), (0.99, 0.95, 299), (0.9, 0.9, 22)]
)
def test_required_audit_size(target, conf, n):
    assert required_audit_size(target_accuracy=target, confidence=conf) == n
    assert clopper_pearson_lower(n, n, confidence=conf) >= target
    assert clopper_pearson_lower(n - 1, n - 1, confidence=conf) < target


def test_lower_bound_is_exact():
    """At the bound p, P(X >= x | p) equals 1 - confidence (definition of the CP bound)."""
    x, n = 90, 100
    lb = clopper_pearson_lower(x, n, confidence=0.95)
    assert binom.sf(x - 1, n, lb) == pytest.approx(0.05, rel=1e-6)
    assert clopper_pearson_lower(0, 10) == 0.0
    assert clopper_pearson_lower(0, 0) == 0.0
    vec = clopper_pearson_lower(np.array([0, 5, 10]), np.array([10, 10, 10]))
    assert vec.shape == (3,) and np.all(np.diff(vec) > 0)


def test_interval_covers_point_and_edges():
    lo, hi = clopper_pearson_interval(0, 10)
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** (1 / 10))
    assert clopper_pearson_interval(10, 10)[1] == 1.0
    assert clopper_pearson_interval(0, 0) == (0.0, 1.0)


def test_estimate_accuracy():
    est = estimate_accuracy(np.r_[np.ones(45), np.zeros(5)].astype(bool), confidence=0.9)
    assert (est.n, est.n_correct, est.accuracy) == (50, 45, 0.9)
    assert est.lower < 0.9 < est.upper
    assert math.isnan(estimate_accuracy([]).accuracy)


def test_by_status_and_by_group():
    scores = np.array([0.99, 0.98, 0.97, 0.6, 0.5])
    ok = np.array([1, 1, 1, 0, 1])
    est = estimate_accuracy_by_status(scores, ok, 0.95)
    assert (est["auto"].n, est["auto"].accuracy) == (3, 1.0)
    assert (est["review"].n, est["review"].accuracy) == (2, 0.5)
    assert est["all"].n == 5
    nothing = estimate_accuracy_by_status(scores, ok, None)
    assert nothing["auto"].n == 0 and nothing["review"].n == 5
    g = estimate_accuracy_by_group(ok, ["x", "x", "y", "y", "y"])
    assert list(g) == ["x", "y", "all"]


def test_errors():
    with pytest.raises(
        ConfigError,
        match=r"The 'confidence' parameter of clopper_pearson_lower must be a float in "
        r"\(0, 1\)\. Got 2 instead\.",
    ):
        clopper_pearson_lower(1, 2, confidence=2)
    with pytest.raises(InputError, match=r"0 <= n_correct <= n"):
        clopper_pearson_lower(3, 2)
    with pytest.raises(
        ConfigError, match=r"The 'confidence' parameter of clopper_pearson_interval"
    ):
        clopper_pearson_interval(1, 2, confidence=0)
    with pytest.raises(
        ConfigError, match=r"The 'target_accuracy' parameter of required_audit_size"
    ):
        required_audit_size(target_accuracy=1.0)
    with pytest.raises(ConfigError, match=r"The 'confidence' parameter of required_audit_size"):
        required_audit_size(confidence=0.0)
    with pytest.raises(InputError, match=r"estimate_accuracy expects 'correct' as booleans"):
        estimate_accuracy(["yes"])
    with pytest.raises(InputError, match=r"one group per audited item"):
        estimate_accuracy_by_group([1, 0], ["a"])
    with pytest.raises(InputError, match=r"reserves the group name 'all'"):
        estimate_accuracy_by_group([1, 0], ["all", "b"])
    with pytest.raises(InputError, match=r"one score per audited item"):
        estimate_accuracy_by_status([0.9], [1, 0], 0.5)
