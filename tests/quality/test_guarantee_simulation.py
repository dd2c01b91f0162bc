"""Simulation of the auto-accept guarantee.

On synthetic populations with known correctness, the true accuracy of the items
above the chosen threshold must reach the target in at least ``confidence`` of
the runs. A naive policy (threshold from the point estimate) must fail the same
check, which shows that the check can fail.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from scipy.stats import binom

from labelmill.quality import DEFAULT_THRESHOLDS, choose_threshold

N_RUNS = 400
N_POPULATION = 4000
N_AUDIT = 400
TARGET = 0.95
CONFIDENCE = 0.95
# allowed violations: the 99.9% quantile of Binomial(N_RUNS, 1 - CONFIDENCE)
MAX_VIOLATIONS = int(binom.ppf(0.999, N_RUNS, 1 - CONFIDENCE))
GRID = np.asarray(DEFAULT_THRESHOLDS)


def _population(rng: np.random.Generator, scenario: str) -> tuple[np.ndarray, np.ndarray]:
    scores = 1.0 - 0.5 * rng.beta(1.0, 6.0, N_POPULATION)  # mostly confident, in (0.5, 1]
    if scenario == "calibrated":
        p_correct = scores
    elif scenario == "overconfident":
        p_correct = np.clip(scores - 0.03, 0, 1)
    elif scenario == "flat":  # accuracy just below the target above 0.8, whatever the score
        p_correct = np.where(scores >= 0.8, TARGET - 0.005, scores)
    else:  # non-monotone: the most confident items are the worst
        p_correct = np.where(scores >= 0.99, 0.85, np.where(scores >= 0.9, 0.985, scores))
    correct = rng.uniform(size=N_POPULATION) < p_correct
    return scores, correct


def _naive(scores: np.ndarray, correct: np.ndarray) -> float | None:
    """Lowest threshold whose audit point estimate reaches the target."""
    best = None
    for t in GRID:
        above = scores >= t
        if above.sum() >= 10 and correct[above].mean() >= TARGET:
            best = float(t)
    return best


def _violation_rate(
    scenario: str,
    policy: Callable[[np.ndarray, np.ndarray, np.ndarray], float | None],
    n_audit: int = N_AUDIT,
) -> tuple[int, int]:
    violations = accepted_runs = 0
    for seed in range(N_RUNS):
        rng = np.random.default_rng(seed)
        scores, correct = _population(rng, scenario)
        audit = rng.choice(N_POPULATION, n_audit, replace=False)
        t = policy(scores[audit], correct[audit], scores)
        if t is None:
            continue
        accepted_runs += 1
        above = scores >= t
        if correct[above].mean() < TARGET:
            violations += 1
    return violations, accepted_runs


def _policy(audit_scores, audit_correct, population):
    return choose_threshold(
        audit_scores, audit_correct, target_accuracy=TARGET, confidence=CONFIDENCE
    ).threshold


def _policy_population(audit_scores, audit_correct, population):
    return choose_threshold(
        audit_scores,
        audit_correct,
        target_accuracy=TARGET,
        confidence=CONFIDENCE,
        population_scores=population,
    ).threshold


@pytest.mark.parametrize("scenario", ["calibrated", "overconfident", "flat", "non_monotone"])
@pytest.mark.parametrize("policy", [_policy, _policy_population], ids=["audit", "population"])
@pytest.mark.parametrize("n_audit", [N_AUDIT, 1200], ids=["one_sequence", "two_sequences"])
def test_guarantee_holds(scenario, policy, n_audit):
    violations, accepted = _violation_rate(scenario, policy, n_audit)
    assert violations <= MAX_VIOLATIONS
    if scenario == "calibrated":
        assert accepted > N_RUNS // 3, "a calibrated model should be accepted in most runs"


@pytest.mark.parametrize("scenario", ["calibrated", "flat", "non_monotone"])
def test_naive_point_estimate_policy_fails_the_same_check(scenario):
    violations, _ = _violation_rate(scenario, lambda s, c, p: _naive(s, c))
    assert violations > MAX_VIOLATIONS
