"""Choose the auto-accept threshold with a stated accuracy guarantee, one round at a time.

This is the per-round policy, kept for comparison: its guarantee holds for one round, and
a project that reuses its audit sample over many rounds breaks it in some round more often
than ``1 - confidence`` (tests/quality/test_threshold_over_rounds.py: 9.4% of simulated
projects). :class:`~labelmill.quality.GuaranteePolicy` holds over every round of a project
and is the default for rounds.

Method
------
People label a *random* audit sample blind. For a fixed, decreasing sequence of
confidence thresholds ``t_1 > t_2 > ...`` (fixed before any audit label is seen)
we test, in order, the null hypothesis ``H_j: accuracy of items with confidence
>= t_j is below the target``, rejecting it when the one-sided exact binomial
(Clopper-Pearson) lower bound at level ``confidence`` reaches the target. We go
down the sequence while hypotheses are rejected and stop at the first one that is
not; the chosen threshold is the lowest rejected one. This is fixed-sequence
testing (Maurer, Hothorn and Lehmacher, 1995; Bauer, 1991), which controls the
family-wise error at ``1 - confidence`` without a multiplicity correction; its
use for certifying a model's risk over a parameter sweep is the "Learn then
Test" framework (Angelopoulos, Bates, Candès, Jordan and Lei, 2021). Hence, with
probability at least ``confidence`` over the audit sample, the labels above the
chosen threshold are at least ``target_accuracy`` accurate.

The sequence starts at the first threshold with at least ``min_audit_above``
audit items above it; the thresholds before it are skipped before any label is
looked at (the skip depends on the audit items' scores, or on
``population_scores``, and on counts only, never on whether labels are right).
Fewer than ``n_min`` items (the smallest number that, all right, certifies the
target: 59 for 0.95/0.95) can never pass, and a first test on barely ``n_min``
items fails at the first error, which ends the sequence; so by default the
sequence starts where about ``2 * n_min`` audit items lie above (at most half the
audit sample, and never fewer than ``n_min``).

A start that small has little power once the audit sample is large: two errors
among the ~120 most confident items end the sequence, although the 600 items
above a lower threshold would certify it easily. So when the audit sample is
large (half of it at least ``4 * n_min`` items), the default runs two fixed
sequences, one starting at ``2 * n_min`` items and one at half the audit sample,
each at level ``(1 - confidence) / 2`` (a Bonferroni split over start points, as
in Learn then Test), and accepts from the lower of the two chosen thresholds.
Which sequences run depends on the audit sample's size only, decided before any
label is looked at. The confidence scores must come from a model and calibrator
that never saw the audit labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from labelmill.exceptions import ConfigError, InputError
from labelmill.quality._binomial import (
    as_correct,
    clopper_pearson_lower,
    required_audit_size,
)
from labelmill.utils._validation import check_unit_interval

__all__ = [
    "DEFAULT_THRESHOLDS",
    "ThresholdDecision",
    "ThresholdPolicy",
    "ThresholdStep",
    "choose_threshold",
]

#: The default fixed sequence of thresholds, tested from the first to the last.
DEFAULT_THRESHOLDS: tuple[float, ...] = (
    0.999, 0.998, 0.995, 0.99, 0.985, 0.98, 0.975, 0.97, 0.965, 0.96, 0.955, 0.95,
    0.94, 0.93, 0.92, 0.91, 0.90, 0.89, 0.88, 0.87, 0.86, 0.85, 0.84, 0.83, 0.82,
    0.81, 0.80, 0.78, 0.76, 0.74, 0.72, 0.70, 0.67, 0.64, 0.60, 0.55, 0.50, 0.45,
    0.40, 0.35, 0.30, 0.25, 0.20, 0.15, 0.10, 0.0,
)  # fmt: skip


@dataclass(frozen=True)
class ThresholdStep:
    """One test along the sequence.

    Attributes
    ----------
    threshold : float
    n_above : int
        Audit items with confidence >= threshold.
    n_correct : int
        Of those, how many were right.
    lower_bound : float
        One-sided Clopper-Pearson lower bound of their accuracy.
    outcome : {"skipped", "passed", "failed"}
        ``skipped``: too few audit items above it to ever pass (decided without labels).
    sequence : int, default=0
        Which fixed sequence the test belongs to (0 starts where the fewest audit
        items lie above; 1, with large audit samples, starts at half of them).
    """

    threshold: float
    n_above: int
    n_correct: int
    lower_bound: float
    outcome: str
    sequence: int = 0


@dataclass(frozen=True)
class ThresholdDecision:
    """The chosen auto-accept threshold and the evidence for it.

    Attributes
    ----------
    threshold : float or None
        Accept items with confidence >= threshold; None accepts nothing.
    target_accuracy, confidence : float
        The requested guarantee.
    n_audit : int
        Size of the audit sample.
    n_audit_above, n_correct_above : int
        Audit items at or above the threshold, and how many of them were right.
    accepted_share_on_audit : float
        ``n_audit_above / n_audit``: estimate of the share of items auto-accepted.
    accuracy_estimate : float
        ``n_correct_above / n_audit_above`` (NaN when nothing is accepted).
    lower_bound : float
        Clopper-Pearson lower bound at ``confidence`` (>= target when accepted).
    n_min : int
        Audit items (all right) needed above a threshold to certify the target.
    n_more_needed : int
        When nothing is accepted for lack of audit labels: how many more audit
        labels are needed at the very least (``n_min - n_audit``, floored at 0).
    reason : str
        One sentence for the report.
    steps : tuple of ThresholdStep
        Every test of the sequence, in order.
    """

    threshold: float | None
    target_accuracy: float
    confidence: float
    n_audit: int
    n_audit_above: int
    n_correct_above: int
    accepted_share_on_audit: float
    accuracy_estimate: float
    lower_bound: float
    n_min: int
    n_more_needed: int
    reason: str
    steps: tuple[ThresholdStep, ...] = field(default=())

    def accepts(self, confidence_scores: Any) -> NDArray[np.bool_]:
        """Bool mask of items to auto-accept (all False when no threshold)."""
        scores = np.asarray(confidence_scores, dtype=np.float64)
        if self.threshold is None:
            return np.zeros(scores.shape, dtype=bool)
        return np.asarray(scores >= self.threshold)

    def statement(self) -> str:
        """The guarantee in one sentence, for the report."""
        if self.threshold is None:
            return f"No label is auto-accepted: {self.reason}"
        return (
            f"With {self.confidence:.0%} confidence, auto-accepted labels (confidence >= "
            f"{self.threshold:g}) are at least {self.target_accuracy:.1%} accurate: "
            f"{self.n_correct_above} of {self.n_audit_above} blind-audited items above the "
            f"threshold were right (lower bound {self.lower_bound:.3f})."
        )


class ThresholdPolicy:
    """Auto-accept policy: target accuracy, confidence and the threshold sequence.

    Parameters
    ----------
    target_accuracy : float, default=0.95
        Minimum accuracy of auto-accepted labels, in (0, 1).
    confidence : float, default=0.95
        Probability (over the audit sample) that the guarantee holds, in (0, 1).
    thresholds : sequence of float, optional
        Strictly decreasing thresholds in [0, 1], tested in order; defaults to
        :data:`DEFAULT_THRESHOLDS`. Fix it before seeing the audit labels.
    min_audit_above : int, optional
        Audit items needed above a threshold before testing starts (one sequence at
        ``confidence``). By default ``max(n_min, min(2 * n_min, n_audit // 2))``, and
        once ``n_audit // 2 >= 4 * n_min`` two sequences, from ``2 * n_min'`` and from
        ``n_audit // 2`` items, each at confidence ``1 - (1 - confidence) / 2`` (``n_min'``
        is ``n_min`` at that level); see the module docstring.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> scores = rng.uniform(0.5, 1.0, 1000)  # a calibrated model: P(right) = score
    >>> correct = rng.uniform(size=1000) < scores
    >>> decision = ThresholdPolicy(target_accuracy=0.9).choose(scores, correct)
    >>> decision.threshold, decision.lower_bound >= 0.9
    (0.9, True)
    """

    def __init__(
        self,
        target_accuracy: float = 0.95,
        confidence: float = 0.95,
        thresholds: Any = None,
        min_audit_above: int | None = None,
    ) -> None:
        self.target_accuracy = target_accuracy
        self.confidence = confidence
        self.thresholds = thresholds
        self.min_audit_above = min_audit_above

    def __repr__(self) -> str:
        return (
            f"ThresholdPolicy(target_accuracy={self.target_accuracy!r}, "
            f"confidence={self.confidence!r}, thresholds={self.thresholds!r}, "
            f"min_audit_above={self.min_audit_above!r})"
        )

    def choose(
        self, confidence_scores: Any, correct: Any, *, population_scores: Any = None
    ) -> ThresholdDecision:
        """Choose the threshold from a random, blind audit sample.

        Parameters
        ----------
        confidence_scores : (n_audit,) float array
            The model's (calibrated) top confidence on the audit items.
        correct : (n_audit,) bool array
            Whether the model's label agreed with the blind audit label.
        population_scores : (n_items,) float array, optional
            Confidence of all items to be routed. If given, leading thresholds are
            skipped while the *expected* number of audit items above them,
            ``n_audit * share(population_scores >= t)``, is below
            ``min_audit_above``; otherwise the audit items' own scores decide.

        Returns
        -------
        ThresholdDecision

        Raises
        ------
        ConfigError
            ``target_accuracy``, ``confidence`` or ``thresholds`` are invalid.
        InputError
            The scores and outcomes have different lengths or bad values.
        """
        return _choose(
            type(self).__name__,
            confidence_scores,
            correct,
            target_accuracy=self.target_accuracy,
            confidence=self.confidence,
            thresholds=self.thresholds,
            min_audit_above=self.min_audit_above,
            population_scores=population_scores,
        )


def choose_threshold(
    confidence_scores: Any,
    correct: Any,
    *,
    target_accuracy: float = 0.95,
    confidence: float = 0.95,
    thresholds: Any = None,
    min_audit_above: int | None = None,
    population_scores: Any = None,
) -> ThresholdDecision:
    """Lowest threshold whose auto-accepted labels meet the target, with confidence.

    Function form of :meth:`ThresholdPolicy.choose`; see there and the module
    docstring for the method and its guarantee.

    Examples
    --------
    >>> import numpy as np
    >>> decision = choose_threshold(np.full(30, 0.99), np.ones(30, bool))
    >>> decision.threshold is None, decision.n_more_needed
    (True, 29)
    """
    return _choose(
        "choose_threshold",
        confidence_scores,
        correct,
        target_accuracy=target_accuracy,
        confidence=confidence,
        thresholds=thresholds,
        min_audit_above=min_audit_above,
        population_scores=population_scores,
    )


def _check_thresholds(thresholds: Any, owner: str) -> NDArray[np.float64]:
    if thresholds is None:
        return np.asarray(DEFAULT_THRESHOLDS, dtype=np.float64)
    try:
        arr = np.asarray(thresholds, dtype=np.float64)
    except (TypeError, ValueError):
        arr = np.asarray([np.nan])
    if (
        arr.ndim != 1
        or arr.size == 0
        or not np.all(np.isfinite(arr))
        or arr.min() < 0
        or arr.max() > 1
        or np.any(np.diff(arr) >= 0)
    ):
        raise ConfigError(
            f"The 'thresholds' parameter of {owner} must be a non-empty, strictly decreasing "
            f"sequence of floats in [0, 1]. Got {thresholds!r} instead; sort them with "
            "sorted(set(thresholds), reverse=True)."
        )
    return arr


def _check_scores(scores: Any, name: str, owner: str) -> NDArray[np.float64]:
    try:
        arr = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{owner} expects '{name}' as numbers. Got {scores!r} instead.") from exc
    if arr.ndim != 1 or not np.all(np.isfinite(arr)):
        raise InputError(
            f"{owner} expects '{name}' as a 1-D array of finite floats. Got shape "
            f"{arr.shape} (or NaN/infinite values) instead."
        )
    return arr


def _choose(
    owner: str,
    confidence_scores: Any,
    correct: Any,
    *,
    target_accuracy: Any,
    confidence: Any,
    thresholds: Any,
    min_audit_above: Any,
    population_scores: Any,
) -> ThresholdDecision:
    target = check_unit_interval(target_accuracy, "target_accuracy", owner)
    conf = check_unit_interval(confidence, "confidence", owner)
    grid = _check_thresholds(thresholds, owner)
    scores = _check_scores(confidence_scores, "confidence_scores", owner)
    ok = as_correct(correct, owner=owner, n=scores.shape[0])
    n_audit = int(scores.size)
    n_min = required_audit_size(target_accuracy=target, confidence=conf)
    if min_audit_above is None:
        starts = _default_starts(n_audit, n_min, target, conf)
    elif (
        isinstance(min_audit_above, int | np.integer)
        and not isinstance(min_audit_above, bool)
        and min_audit_above >= n_min
    ):
        starts = [(int(min_audit_above), conf)]
    else:
        raise ConfigError(
            f"The 'min_audit_above' parameter of {owner} must be None or an int >= {n_min} "
            f"(fewer audit items can never certify {target:g} at confidence {conf:g}). "
            f"Got {min_audit_above!r} instead."
        )

    # counts above every threshold in one pass: sort scores descending
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    cum_correct = np.concatenate([[0], np.cumsum(ok[order])])
    n_above = np.searchsorted(-sorted_scores, -grid, side="right")
    n_correct = cum_correct[n_above]
    if population_scores is not None:
        pop = _check_scores(population_scores, "population_scores", owner)
        if pop.size == 0:
            raise InputError(f"{owner} expects at least one population score. Got none.")
        # share of the population at or above each threshold, from one sort (no grid x n array)
        below = np.searchsorted(np.sort(pop), grid, side="left")
        expected_above = n_audit * (pop.size - below) / pop.size
    else:
        expected_above = n_above.astype(np.float64)

    steps: list[ThresholdStep] = []
    chosen, lower_chosen, stop = -1, 0.0, None
    for sequence, (n_start, level) in enumerate(starts):
        lower = np.atleast_1d(clopper_pearson_lower(n_correct, n_above, confidence=level))
        j_seq, stopped_at = _walk(
            grid, n_above, n_correct, lower, expected_above >= n_start, target, sequence, steps
        )
        if j_seq > chosen:
            chosen, lower_chosen, stop = j_seq, float(lower[j_seq]), stopped_at
    started = any(step.outcome != "skipped" for step in steps)
    how = (
        ""
        if len(starts) == 1
        else f" (two fixed sequences, from {starts[0][0]} and {starts[1][0]} audited items "
        f"above, each at {starts[0][1]:.1%} confidence)"
    )

    if chosen < 0:
        n_min_level = required_audit_size(target_accuracy=target, confidence=starts[0][1])
        n_more = max(0, n_min_level - n_audit)
        if not started:
            n_start = starts[0][0]
            reason = (
                f"too few audit labels: certifying {target:.1%} at {conf:.0%} confidence "
                f"needs at least {n_min_level} audited items above a threshold, all right; the "
                f"audit sample has {n_audit}, and no threshold has {n_start} of them above it. "
                "Audit more items."
            )
            n_more = max(n_more, n_min_level - int(n_above[-1]))
        else:
            failed = [st for st in steps if st.outcome == "failed"]
            tests = " and ".join(
                f"{st.threshold:g} ({st.n_correct} of {st.n_above} audited items above it right, "
                f"lower bound {st.lower_bound:.3f})"
                for st in failed
            )
            first = "threshold" if len(failed) == 1 else "thresholds"
            reason = (
                f"the first testable {first} {tests} failed: below the target {target:.3f}"
                f"{how}. Improve the model or the rules, or lower the target."
            )
        return ThresholdDecision(
            threshold=None,
            target_accuracy=target,
            confidence=conf,
            n_audit=n_audit,
            n_audit_above=0,
            n_correct_above=0,
            accepted_share_on_audit=0.0,
            accuracy_estimate=float("nan"),
            lower_bound=0.0,
            n_min=n_min,
            n_more_needed=n_more,
            reason=reason,
            steps=tuple(steps),
        )
    t = float(grid[chosen])
    na, nc = int(n_above[chosen]), int(n_correct[chosen])
    if stop is None:
        why = "it is the last threshold of the sequence"
    else:
        why = (
            f"the next threshold {stop.threshold:g} failed ({stop.n_correct} of {stop.n_above} "
            f"right, lower bound {stop.lower_bound:.3f})"
        )
    reason = (
        f"threshold {t:g} is the lowest one certified: {nc} of {na} audited items above it "
        f"were right (lower bound {lower_chosen:.3f} >= target {target:.3f}); {why}{how}."
    )
    return ThresholdDecision(
        threshold=t,
        target_accuracy=target,
        confidence=conf,
        n_audit=n_audit,
        n_audit_above=na,
        n_correct_above=nc,
        accepted_share_on_audit=na / n_audit,
        accuracy_estimate=nc / na,
        lower_bound=lower_chosen,
        n_min=n_min,
        n_more_needed=0,
        reason=reason,
        steps=tuple(steps),
    )


def _default_starts(
    n_audit: int, n_min: int, target: float, conf: float
) -> list[tuple[int, float]]:
    """Where each fixed sequence starts (audit items above) and its confidence level.

    Depends on the audit sample's size only, never on its labels.
    """
    wide = n_audit // 2
    if wide < 4 * n_min:
        return [(max(n_min, min(2 * n_min, wide)), conf)]
    level = 1.0 - (1.0 - conf) / 2.0
    n_min_level = required_audit_size(target_accuracy=target, confidence=level)
    return [(2 * n_min_level, level), (max(wide, 2 * n_min_level), level)]


def _walk(
    grid: NDArray[np.float64],
    n_above: NDArray[np.int64],
    n_correct: NDArray[np.int64],
    lower: NDArray[np.float64],
    testable: NDArray[np.bool_],
    target: float,
    sequence: int,
    steps: list[ThresholdStep],
) -> tuple[int, ThresholdStep | None]:
    """Test one fixed sequence; append its steps. Returns (chosen index or -1, failed step)."""
    chosen = -1
    started = False
    for j, t in enumerate(grid):
        if not started and not testable[j]:
            steps.append(_step(t, n_above[j], n_correct[j], lower[j], "skipped", sequence))
            continue
        started = True
        passed = bool(lower[j] >= target)
        outcome = "passed" if passed else "failed"
        steps.append(_step(t, n_above[j], n_correct[j], lower[j], outcome, sequence))
        if not passed:
            return chosen, steps[-1]
        chosen = j
    return chosen, None


def _step(t: float, n: Any, k: Any, lb: Any, outcome: str, sequence: int) -> ThresholdStep:
    return ThresholdStep(
        threshold=float(t),
        n_above=int(n),
        n_correct=int(k),
        lower_bound=float(lb),
        outcome=outcome,
        sequence=sequence,
    )
