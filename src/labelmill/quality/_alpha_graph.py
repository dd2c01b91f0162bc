"""Sharing one error budget between every round and every candidate set of a project.

The hypotheses
--------------
Each round has the same nodes ``i = 0, 1, ...``: node ``i`` is the set of the
``shares[i]`` most confident items to route (its threshold is the score at that rank), and
``H(r, i)`` says "round ``r``'s set ``i`` is less than ``target`` accurate". Rejecting it
certifies the set; a round accepts its largest certified set.

The procedure (a graphical weighted-Bonferroni procedure)
---------------------------------------------------------
Every node holds a level in two *colours*: ``explore`` and ``keep``; it is tested once, at
the sum. Fresh error enters as ``explore`` level at a node chosen before any answer is
looked at; the ``j``-th injection is ``delta * gamma_j`` with ``sum_j gamma_j <= 1``. When
a node is rejected each colour moves on along its own edges:

* ``explore``: a share ``descend`` to the next larger set of the same round (still
  ``explore``), the rest to the same node of the next round as ``keep``;
* ``keep``: a share ``keep`` to the same node of the next round (``keep``), the rest to
  the next larger set of this round as ``explore``.

A node that is not rejected keeps its level: that error is spent. Nodes are visited round
by round, from the smallest set to the largest, so every node has received all its level
before it is tested.

Why it is valid
---------------
Give each colour of each node its own copy of the hypothesis: the result is a directed
acyclic graph of weighted-Bonferroni nodes with initial weights ``gamma_j`` and fixed
transition weights, and the sequentially rejective graphical procedure of Bretz, Maurer,
Brannath and Posch (2009) on it (visited in topological order) controls the family-wise
error rate at ``delta`` under *any* dependence between the tests (here: strong, as rounds
reuse the audit answers). Two copies of one hypothesis are rejected together and tested at
the sum of their levels: the union bound behind the procedure counts a true hypothesis
once per copy, so merging copies keeps the bound (before the first false rejection every
level a true node holds came from false, rejected, nodes). The graph has no end: control
holds for the first ``R`` rounds for every ``R``, hence for all rounds. With one colour,
``descend = 1`` and a single node per round it is the online fallback procedure of Tian and
Ramdas (2021).

What it buys
------------
A set certified in one round hands its level on to the same set of the next round: a
project that keeps certifying keeps its level instead of spending a new, smaller one every
round, which is what plain alpha-spending over rounds does (it cripples later rounds).
Error is spent only by tests that fail: the next larger set tried in vain (mostly fresh
``explore`` level), or a certified set that stops passing (the decision changes). A
failure does not stop the other sets that hold their own level.

References
----------
Bretz, F., Maurer, W., Brannath, W. and Posch, M. (2009). A graphical approach to
sequentially rejective multiple test procedures. Statistics in Medicine 28(4).
Burman, C.-F., Sonesson, C. and Guilbaud, O. (2009). A recycling framework for the
construction of Bonferroni-based multiple tests. Statistics in Medicine 28(5).
Tian, J. and Ramdas, A. (2021). Online control of the familywise error rate. Statistical
Methods in Medical Research 30(4).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["RoundOutcome", "run_round"]

#: Below this level a node is not tested (its level is kept, and counted as spent).
_TINY = 1e-12


@dataclass(frozen=True)
class RoundOutcome:
    """The tests of one round.

    Attributes
    ----------
    levels : (n_nodes,) float array
        Level each node was tested at (0: not tested).
    outcomes : tuple of str
        Per node: ``"passed"``, ``"failed"``, ``"empty"`` (nothing to accept: vacuously
        passed) or ``"untested"`` (level 0).
    p_values : (n_nodes,) float array
        NaN where not tested.
    carry : (n_nodes,) float array
        ``keep`` level handed to each node of the next round.
    spent : float
        Level held by nodes that failed this round (lost for good).
    """

    levels: NDArray[np.float64]
    outcomes: tuple[str, ...]
    p_values: NDArray[np.float64]
    carry: NDArray[np.float64]
    spent: float


def run_round(
    carry: NDArray[np.float64],
    injection: Sequence[tuple[int, float]],
    test: Callable[[int, float], tuple[str, float]],
    *,
    descend: float,
    keep: float,
) -> RoundOutcome:
    """Test one round's nodes from the smallest set up, moving levels on rejection.

    Parameters
    ----------
    carry : (n_nodes,) float array
        ``keep`` level each node received from the previous round.
    injection : sequence of (node, level)
        Fresh ``explore`` level added this round.
    test : callable
        ``test(i, level) -> (outcome, p_value)``, outcome in ``{"passed", "failed",
        "empty"}``.
    descend : float
        Share of a rejected node's ``explore`` level that goes to the next larger set of
        the round; the rest becomes ``keep`` level of the same node next round.
    keep : float
        Share of a rejected node's ``keep`` level that stays ``keep`` on the same node next
        round; the rest goes to the next larger set of the round as ``explore``.

    Returns
    -------
    RoundOutcome

    Examples
    --------
    >>> def test(i, level):
    ...     return ("passed" if i < 2 else "failed"), 0.0
    >>> out = run_round(np.zeros(3), [(0, 0.04)], test, descend=0.5, keep=0.9)
    >>> out.outcomes, out.carry.round(3).tolist(), round(out.spent, 3)
    (('passed', 'passed', 'failed'), [0.02, 0.01, 0.0], 0.01)
    """
    n = carry.size
    kept = np.asarray(carry, dtype=np.float64).copy()
    explore = np.zeros(n)
    for i, level in injection:
        explore[i] += level
    tested = np.zeros(n)
    p_values = np.full(n, np.nan)
    outcomes: list[str] = []
    nxt = np.zeros(n)
    spent = 0.0
    for i in range(n):
        a = float(kept[i] + explore[i])
        if a <= _TINY:
            outcomes.append("untested")
            continue
        outcome, p = test(i, a)
        tested[i], p_values[i] = a, p
        outcomes.append(outcome)
        if outcome == "failed":
            spent += a
            continue
        down = descend * explore[i] + (1.0 - keep) * kept[i]
        stay = (1.0 - descend) * explore[i] + keep * kept[i]
        if i + 1 < n:
            explore[i + 1] += down
            nxt[i] += stay
        else:
            nxt[i] += down + stay
    return RoundOutcome(
        levels=tested,
        outcomes=tuple(outcomes),
        p_values=p_values,
        carry=nxt,
        spent=spent,
    )
