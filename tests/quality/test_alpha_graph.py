from __future__ import annotations

import numpy as np
import pytest

from labelmill.quality._alpha_graph import run_round


def _always(outcome):
    return lambda i, level: (outcome, 0.0)


def test_levels_move_only_along_rejections_and_are_conserved():
    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(2, 8))
        carry = rng.uniform(0, 0.01, n) * (rng.uniform(size=n) < 0.5)
        inj = [(int(rng.integers(n)), 0.02)]
        passes = rng.uniform(size=n) < 0.6
        out = run_round(
            carry,
            inj,
            lambda i, a, passes=passes: ("passed" if passes[i] else "failed", 0.0),
            descend=float(rng.uniform()),
            keep=float(rng.uniform()),
        )
        # nothing is created or destroyed: what entered is carried on or spent
        assert out.carry.sum() + out.spent == pytest.approx(carry.sum() + 0.02)
        failed = [i for i, o in enumerate(out.outcomes) if o == "failed"]
        assert out.spent == pytest.approx(out.levels[failed].sum())
        assert np.all(out.carry[failed] == 0)


def test_a_passed_set_keeps_its_kept_level_and_hands_fresh_level_down():
    out = run_round(
        np.array([0.01, 0.0, 0.0]), [(0, 0.02)], _always("passed"), descend=0.5, keep=1.0
    )
    # node 0: kept 0.01 stays, fresh 0.02 splits 0.01 down / 0.01 stays
    assert out.levels.tolist() == pytest.approx([0.03, 0.01, 0.005])
    assert out.carry.tolist() == pytest.approx([0.02, 0.005, 0.005])
    assert out.spent == 0.0 and out.outcomes == ("passed", "passed", "passed")


def test_a_failure_stops_only_its_own_level():
    tests = {0: "failed", 1: "passed", 2: "passed"}
    out = run_round(
        np.array([0.0, 0.004, 0.0]),
        [(0, 0.02)],
        lambda i, a: (tests[i], 0.0),
        descend=0.8,
        keep=0.9,
    )
    assert out.outcomes == ("failed", "passed", "passed")
    assert out.spent == pytest.approx(0.02)
    assert out.levels[1] == pytest.approx(0.004)  # nothing came from the failed node


def test_untested_and_empty_nodes():
    out = run_round(np.zeros(3), [(1, 0.03)], _always("empty"), descend=1.0, keep=1.0)
    assert out.outcomes == ("untested", "empty", "empty")
    assert np.isnan(out.p_values[0]) and out.levels[0] == 0.0
    assert out.carry.tolist() == pytest.approx([0.0, 0.0, 0.03])  # the last keeps it all
