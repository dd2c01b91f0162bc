"""Counts of the audit and of the population above every threshold, and the exact test.

For a threshold ``t`` and a class group (all classes, or one predicted class), the items
above ``t`` split by design stratum into: population items (to route), audited items of
the stratum's random sample (``n``, of which ``x`` wrong under this round's model), and
*extra* audited items (known answers, outside the random sample). The stratum's *frame*
above ``t`` is all three; the audit sample is a simple random sample of it. The claim
"the population items above ``t`` are at least ``target`` accurate" fails when the
frame holds at least ``floor((1 - target) P) + 1 + x + y`` wrong labels (``P`` population
items above ``t``, ``y`` wrong extras): that null value is tested exactly with
:func:`~labelmill.quality._finite_population.errors_pvalue`. The null value depends on
``x`` only through a shift that makes it smaller under the null, so the test keeps its
level (a larger observed ``x`` can only make the p-value larger than at the true count).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from labelmill.quality._audit_design import AuditSample
from labelmill.quality._finite_population import (
    StratumCounts,
    errors_pvalue,
    errors_upper_bound,
)

__all__ = ["AuditTable", "above", "build_table"]

_TOL = 1e-9


def above(scores: NDArray[np.float64], grid: NDArray[np.float64], values: Any = None) -> Any:
    """Count (or sum ``values``) of items with score >= each threshold, from one sort."""
    if scores.size == 0:
        return np.zeros(grid.size, dtype=np.int64 if values is None else np.float64)
    order = np.argsort(-scores, kind="stable")
    n_above = np.searchsorted(-scores[order], -grid, side="right")
    if values is None:
        return n_above.astype(np.int64)
    cum = np.concatenate([[0.0], np.cumsum(np.asarray(values, dtype=np.float64)[order])])
    return cum[n_above]


def _count_and_wrong(
    scores: NDArray[np.float64], wrong: NDArray[np.bool_], grid: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Items, and wrong items, with score >= each threshold (one sort)."""
    if scores.size == 0:
        return np.zeros(grid.size, dtype=np.int64), np.zeros(grid.size, dtype=np.int64)
    order = np.argsort(-scores, kind="stable")
    n_above = np.searchsorted(-scores[order], -grid, side="right")
    cum = np.concatenate([[0], np.cumsum(wrong[order], dtype=np.int64)])
    return n_above.astype(np.int64), cum[n_above]


@dataclass(frozen=True)
class AuditTable:
    """Counts above every threshold: arrays of shape (groups, strata, thresholds).

    Attributes
    ----------
    population : items to route.
    sample, sample_wrong : audited items of the random sample, and the wrong ones.
    extra, extra_wrong : audited items outside the random sample, and the wrong ones.
    """

    population: NDArray[np.int64]
    sample: NDArray[np.int64]
    sample_wrong: NDArray[np.int64]
    extra: NDArray[np.int64]
    extra_wrong: NDArray[np.int64]

    def strata(self, g: int, j: int) -> list[StratumCounts]:
        """The strata of class group ``g`` above threshold ``j``, for the exact test."""
        return [
            StratumCounts(
                size=int(self.population[g, h, j] + self.sample[g, h, j] + self.extra[g, h, j]),
                n_audited=int(self.sample[g, h, j]),
                n_wrong=int(self.sample_wrong[g, h, j]),
            )
            for h in range(self.population.shape[1])
        ]

    def known_wrong(self, g: int, j: int) -> int:
        """Wrong labels among the audited items (sample and extra) above threshold ``j``."""
        return int(self.sample_wrong[g, :, j].sum() + self.extra_wrong[g, :, j].sum())

    def null_wrong(self, g: int, j: int, target: float) -> int:
        """Fewest wrong labels in the frame for which the population misses the target."""
        n_pop = int(self.population[g, :, j].sum())
        return math.floor((1.0 - target) * n_pop + _TOL) + 1 + self.known_wrong(g, j)

    def test(self, j: int, target: float, level: float) -> tuple[str, float]:
        """Outcome and p-value at threshold ``j``: every class group must pass (IUT)."""
        in_group = self.population[:, :, j].sum(axis=1)
        if not in_group.any():
            return "empty", 0.0
        worst = 0.0
        for g in np.flatnonzero(in_group).tolist():
            pv = errors_pvalue(self.strata(g, j), self.null_wrong(g, j, target))
            worst = max(worst, pv)
        return ("passed" if worst <= level else "failed"), worst

    def lower_bound(self, j: int, level: float) -> float:
        """Accuracy lower bound of the population above threshold ``j`` (worst group)."""
        worst = 1.0
        for g in range(self.population.shape[0]):
            n_pop = int(self.population[g, :, j].sum())
            if n_pop == 0:
                continue
            bound = errors_upper_bound(self.strata(g, j), alpha=level) - self.known_wrong(g, j)
            worst = min(worst, 1.0 - max(0, bound) / n_pop)
        return worst


def build_table(
    audit_scores: NDArray[np.float64],
    audit_wrong: NDArray[np.bool_],
    audit_groups: NDArray[np.int64],
    population_scores: NDArray[np.float64],
    population_groups: NDArray[np.int64],
    sample: AuditSample,
    grid: NDArray[np.float64],
) -> AuditTable:
    """Count everything above every threshold, by class group and stratum."""
    groups = np.unique(np.concatenate([audit_groups, population_groups]))
    if groups.size == 0:
        groups = np.zeros(1, dtype=np.int64)
    shape = (groups.size, sample.weights.size, grid.size)
    out = {k: np.zeros(shape, dtype=np.int64) for k in AuditTable.__dataclass_fields__}
    for gi, g in enumerate(groups):
        for h in range(sample.weights.size):
            in_pop = (population_groups == g) & (sample.population_stratum == h)
            out["population"][gi, h] = above(population_scores[in_pop], grid)
            in_audit = (audit_groups == g) & (sample.audit_stratum == h)
            for part, mask in (("sample", sample.in_sample), ("extra", ~sample.in_sample)):
                sel = in_audit & mask
                n, w = _count_and_wrong(audit_scores[sel], audit_wrong[sel], grid)
                out[part][gi, h], out[f"{part}_wrong"][gi, h] = n, w
    return AuditTable(**out)
