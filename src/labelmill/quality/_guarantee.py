"""Auto-accept with an accuracy guarantee over the whole project, not one round.

The statement
-------------
With probability at least ``confidence`` (over the items' random audit keys), **no round
of the project auto-accepts a set of labels that is less than ``target_accuracy``
accurate**: in every round, the labels that round marks ``auto`` (its model's labels on
the items nobody reviewed or audited, above its threshold) are at least ``target`` right.
With ``per_class=True``: in every round and for every predicted class.

What is fixed and what changes
------------------------------
Fixed for the project: the items, their true labels, and each item's uniform random key
(drawn at import, independent of everything, never shown to a model). Changing every
round: the model (so every item's score, label and correctness), the items people
reviewed (their answers train the model), the audited items (their answers never train),
hence the population to route, and the audit design. So round ``r`` makes new claims, one
per candidate set ``i`` (the items to route above the score of the ``N_i``-th most confident
unaudited item, reviewed ones included, ``N_i`` fixed for the
project as a share of the items to route at the first decision): ``H(r, i)``,
"round ``r``'s set ``i`` is less than ``target`` accurate"; their truth changes from
round to round.

The argument
------------
(1) *One test.* Take the round's model, and which items people reviewed, as given (see
the assumption below). Inside a design stratum the audited items are then a simple random
sample of the stratum's unreviewed items (:mod:`~labelmill.quality._audit_design`), so the
wrong labels the audit finds in a candidate set follow a hypergeometric law whose
parameter is the number of wrong labels in that finite set, and the exact
finite-population test of :mod:`~labelmill.quality._audit_counts` is a valid p-value for
``H(r, i)``.

(2) *All rounds and sets.* The nodes ``H(r, i)`` share one error budget
``delta = 1 - confidence`` through a graphical weighted-Bonferroni procedure
(:mod:`~labelmill.quality._alpha_graph`): fresh error enters at most ``delta`` in total
(``delta * gamma_j`` at the ``j``-th injection, at nodes chosen from scores and counts,
never from answers) and moves only along rejections: on to the next larger set of the
round, and to the same set of the next round. Such procedures control the family-wise
error rate at ``delta`` under *any* dependence between the tests (Bretz et al., 2009); the
rounds do reuse the same audit answers. The family-wise error rate is exactly the
probability that some round certifies a set below target, so the statement holds. A round
accepts its largest certified set.

Spending error only where it buys something: a set certified in one round hands most of
its level to the same set of the next round, so a project that keeps certifying keeps its
level; error is spent only by tests that fail (a larger set tried in vain, or a certified
set that stops passing: the decision changes). Fresh error enters only when the audit
sample has grown enough since the last injection to make a test worth its cost.

(3) *The design.* A round may ask the audit queue to favour a region (items its model is
likely to auto-accept): weight 1 there and ``outside_weight`` elsewhere
(:func:`~labelmill.quality.design_audit`). Strata are the weights in force while the audit
drew, which never depend on answers; two strata are combined exactly through the worst
split of the wrong labels between them.

Assumption, stated
------------------
The tests treat the models and the reviewed items as given, i.e. not depending on the
audit keys. Audit answers never train; they reach later models only through what the
policy published (which items were auto, hence not offered for review), a channel that
acts on audited and unaudited items alike. The validity simulation of the test suite
includes this feedback and measures the project-level error rate.

References
----------
Angelopoulos, A. N., Bates, S., Candès, E. J., Jordan, M. I. and Lei, L. (2021). Learn then
Test: calibrating predictive algorithms to achieve risk control. arXiv:2110.01052.
Bretz, F., Maurer, W., Brannath, W. and Posch, M. (2009). A graphical approach to
sequentially rejective multiple test procedures. Statistics in Medicine 28(4).
Tian, J. and Ramdas, A. (2021). Online control of the familywise error rate. Statistical
Methods in Medical Research 30(4).
Waudby-Smith, I. and Ramdas, A. (2024). Estimating means of bounded random variables by
betting. JRSS-B 86(1). (A confidence sequence is anytime-valid for *one* parameter; here
every round's model is a new parameter, looked at once, where an exact test is tighter;
see docs/bench/guarantee.md.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import binom

from labelmill.exceptions import ConfigError, InputError
from labelmill.quality._alpha_graph import RoundOutcome, run_round
from labelmill.quality._audit_counts import AuditTable, above, build_table
from labelmill.quality._audit_design import (
    AuditDesign,
    AuditSample,
    check_float_array,
    check_keys,
    check_weights,
    design_audit,
    locate_audit_sample,
    region_cutoff,
)
from labelmill.quality._binomial import as_correct, required_audit_size
from labelmill.quality._guarantee_explain import DecisionChange, describe_change, statement
from labelmill.quality._guarantee_state import GuaranteeState, injection_level
from labelmill.utils._validation import check_fraction, check_positive, check_unit_interval

__all__ = [
    "DEFAULT_SHARES",
    "AuditRecords",
    "DecisionChange",
    "GuaranteeDecision",
    "GuaranteePolicy",
    "GuaranteeStep",
    "Population",
]

#: The candidate sets of every round: the most confident items to route, as many as these
#: shares of the items to route at the project's first decision (a set keeps its size from
#: round to round, and the evidence about it grows), tested from the smallest to the largest.
DEFAULT_SHARES: tuple[float, ...] = (
    0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7,
    0.75, 0.8, 0.85, 0.9, 0.95, 1.0,
)  # fmt: skip

#: The model's own error estimate (1 - score) is multiplied by this when predicting, from
#: scores only, which set a test is likely to certify (where fresh error enters).
_PESSIMISM = 2.0
#: Fresh error enters only when the random sample holds this many times the items that
#: could pass a test at that level if all were right (the start set then holds them).
_ROOM = 2.0


@dataclass(frozen=True)
class AuditRecords:
    """The blind audit answers, judged with this round's model.

    Attributes
    ----------
    scores : (n_audit,) float array
        This round's confidence (top-class probability) on each audited item.
    correct : (n_audit,) bool array
        Whether this round's model labels the item as the auditor did.
    keys : (n_audit,) float array
        The item's random key in [0, 1) (``items.random_key``).
    weights : (n_audit,) float array, optional
        The item's design weight in force (what :meth:`GuaranteePolicy.audit_design`
        returned last round). None: the uniform design.
    classes : (n_audit,) int array, optional
        This round's predicted class; required with ``per_class=True``.
    """

    scores: Any
    correct: Any
    keys: Any
    weights: Any = None
    classes: Any = None


@dataclass(frozen=True)
class Population:
    """The items to route this round: nobody reviewed or audited them.

    Attributes
    ----------
    scores : (n_items,) float array
        This round's confidence on each item.
    keys : (n_items,) float array
        The item's random key in [0, 1).
    weights : (n_items,) float array, optional
        The design weight in force (None: uniform).
    classes : (n_items,) int array, optional
        This round's predicted class; required with ``per_class=True``.
    was_auto : (n_items,) bool array, optional
        Whether the item was ``auto`` before this round: the explanation then counts the
        items that go back to review, and the newly accepted ones, exactly.
    reviewed_scores : (n_reviewed,) float array, optional
        This round's confidence on the items people reviewed (not the audited ones). The
        candidate sets' cutoffs rank the items to route *together with these*, so that
        reviewing items does not pull a set's cutoff down into less confident items: a set
        stays "the items to route above the score of the project's N-th most confident
        unaudited item". Scores only, never answers: the tests stay valid. None: rank the
        items to route alone (a set is then their N most confident, and drifts down as
        people review, which withdrew certified sets late in benchmark runs).
    """

    scores: Any
    keys: Any
    weights: Any = None
    classes: Any = None
    was_auto: Any = None
    reviewed_scores: Any = None


@dataclass(frozen=True)
class GuaranteeStep:
    """The test of one candidate set in this round.

    Attributes
    ----------
    share : float
        The set: this share of the items to route, the most confident ones.
    threshold : float
        Its confidence cutoff this round (NaN when there is nothing to route).
    n_population_above : int
        Items to route with confidence >= threshold.
    n_audit_above, n_wrong_above : int
        Audited items of the random sample above it, and how many were wrong.
    level : float
        The level it was tested at (0: it held no level, not tested).
    p_value : float
        Exact p-value of "the items above miss the target" (the largest over classes with
        ``per_class=True``); NaN when not tested.
    outcome : {"passed", "failed", "empty", "untested"}
        ``empty``: no item to route in it (passes: nothing would be accepted);
        ``untested``: it held no level this round.
    """

    share: float
    threshold: float
    n_population_above: int
    n_audit_above: int
    n_wrong_above: int
    level: float
    p_value: float
    outcome: str


@dataclass(frozen=True)
class GuaranteeDecision:
    """This round's auto-accept decision, its evidence and the state to persist.

    Attributes
    ----------
    threshold : float or None
        Auto-accept items with confidence >= threshold; None accepts nothing.
    auto : (n_items,) bool array
        Which population items to auto-accept (aligned with :class:`Population`).
    n_auto : int
    target_accuracy, confidence : float
    lower_bound : float
        One-sided lower confidence bound, at the level the threshold was tested at, on the
        accuracy of the accepted labels (0 when nothing is accepted). It is computed at the
        chosen threshold and is for information: the project-level guarantee is the target.
    n_audit_above, n_wrong_above : int
        Audited items of the random sample above the threshold, and how many were wrong.
    level : float
        The level the chosen threshold was tested at (0 when nothing is accepted).
    injected : float
        Fresh error this round added to the budget in use (0: none).
    alpha_injected, alpha_held, alpha_spent : float
        Project totals after this round: fresh error injected so far (at most
        ``1 - confidence``), held by certified sets for the next round, and spent.
    n_audit, n_sample : int
        Audited items judged this round, and how many form the random sample.
    n_more_audit : int or None
        Roughly how many more audit answers would let a coming round certify
        ``more_audit_threshold`` (an estimate from the audit so far; None: no estimate).
    more_audit_threshold : float or None
    steps : tuple of GuaranteeStep
        Every candidate set, with its test.
    change : DecisionChange
        What changed since the last round and why, for people.
    reason : str
        Why this threshold (or none), one sentence.
    state : GuaranteeState
        Persist ``state.to_dict()`` and pass it back next round.
    """

    threshold: float | None
    auto: NDArray[np.bool_]
    n_auto: int
    target_accuracy: float
    confidence: float
    lower_bound: float
    n_audit_above: int
    n_wrong_above: int
    level: float
    injected: float
    alpha_injected: float
    alpha_held: float
    alpha_spent: float
    n_audit: int
    n_sample: int
    n_more_audit: int | None
    more_audit_threshold: float | None
    steps: tuple[GuaranteeStep, ...]
    change: DecisionChange
    reason: str
    state: GuaranteeState = field(repr=False)

    def statement(self) -> str:
        """The project-level guarantee and this round's part of it, for people."""
        return statement(self)


class GuaranteePolicy:
    """Auto-accept policy whose accuracy guarantee holds over every round of a project.

    Each round, :meth:`decide` tests candidate sets (the most confident items to route, as
    many as 2%, 5%, ..., 100% of the items to route at the first decision) on the blind
    audit sample with exact finite-population tests;
    one error budget ``1 - confidence`` is shared by all rounds and sets, and a set that
    keeps passing keeps its level from round to round. See the module docstring for the
    statement and its proof. :meth:`audit_design` tells the audit queue where to draw
    next. Between rounds the policy's memory is a JSON-serializable
    :class:`GuaranteeState`.

    Parameters
    ----------
    target_accuracy : float, default=0.95
        Minimum accuracy of the labels auto-accepted in any round, in (0, 1).
    confidence : float, default=0.95
        Probability that no round of the project misses the target, in (0, 1).
    shares : sequence of float, optional
        Strictly increasing shares in (0, 1] defining the candidate sets (default
        :data:`DEFAULT_SHARES`). Changing them starts a new guarantee (and budget).
    per_class : bool, default=False
        Require the target for the labels of every predicted class separately (a set
        passes when every class passes at its level: an intersection-union test).
    descend : float, default=0.5
        Share of a certified set's *fresh* level handed to the next larger set in the same
        round (the rest stays with the set for the next round), in [0, 1]. At 0.8, a set
        certified with fresh error kept a fifth of its level and, in benchmarks/guarantee.py,
        once failed the next round although its evidence had grown (a 33-point drop).
    keep : float, default=0.9
        Share of a certified set's *kept* level that stays with the set for the next round
        (the rest tries the next larger set), in [0, 1].
    min_growth : float, default=0.25
        Fresh error enters only once the random audit sample has grown by this share since
        the last injection: rounds without enough new evidence re-test with the levels
        they hold and spend nothing new.
    spending_offset : int, default=1
        ``c`` of the injections (:func:`injection_level`): the first is
        ``(1 - confidence) / (c + 1)``, half the budget by default.
    outside_weight : float, default=1.0
        Audit density outside the region the model may auto-accept, relative to inside,
        in (0, 1]; 1.0 (the default) audits uniformly.
    region_margin : float, default=0.25
        The region covers the auto-accepted share of the population plus this share.
    min_region : float, default=0.3
        The region covers at least this share of the population.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> n = 5000
    >>> scores = rng.uniform(0.6, 1.0, n)
    >>> right = rng.uniform(size=n) < scores ** 0.3  # accurate where confident
    >>> keys = rng.uniform(size=n)
    >>> audited = keys < 0.08  # the audit took the items with the smallest keys
    >>> policy = GuaranteePolicy(target_accuracy=0.9)
    >>> d = policy.decide(
    ...     AuditRecords(scores=scores[audited], correct=right[audited], keys=keys[audited]),
    ...     Population(scores=scores[~audited], keys=keys[~audited]),
    ... )
    >>> d.threshold is not None, d.injected > 0, d.state.n_injections
    (True, True, 1)
    """

    def __init__(
        self,
        target_accuracy: float = 0.95,
        confidence: float = 0.95,
        *,
        shares: Any = None,
        per_class: bool = False,
        descend: float = 0.5,
        keep: float = 0.9,
        min_growth: float = 0.25,
        spending_offset: int = 1,
        outside_weight: float = 1.0,
        region_margin: float = 0.25,
        min_region: float = 0.3,
    ) -> None:
        self.target_accuracy = target_accuracy
        self.confidence = confidence
        self.shares = shares
        self.per_class = per_class
        self.descend = descend
        self.keep = keep
        self.min_growth = min_growth
        self.spending_offset = spending_offset
        self.outside_weight = outside_weight
        self.region_margin = region_margin
        self.min_region = min_region

    _PARAMS = (
        "target_accuracy confidence shares per_class descend keep min_growth spending_offset "
        "outside_weight region_margin min_region"
    ).split()

    def __repr__(self) -> str:
        args = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._PARAMS)
        return f"GuaranteePolicy({args})"

    def _params(self) -> _Params:
        owner = type(self).__name__
        target = check_unit_interval(self.target_accuracy, "target_accuracy", owner)
        conf = check_unit_interval(self.confidence, "confidence", owner)
        if not isinstance(self.per_class, bool):
            raise ConfigError(
                f"The 'per_class' parameter of {owner} must be a bool. Got "
                f"{self.per_class!r} instead."
            )
        descend = _check_share(self.descend, "descend", owner)
        keep = _check_share(self.keep, "keep", owner)
        growth = self.min_growth
        if not isinstance(growth, int | float) or isinstance(growth, bool) or growth < 0:
            raise ConfigError(
                f"The 'min_growth' parameter of {owner} must be a non-negative float. Got "
                f"{growth!r} instead."
            )
        offset = check_positive(self.spending_offset, "spending_offset", owner, integer=True)
        outside = check_fraction(self.outside_weight, "outside_weight", owner)
        margin = check_fraction(self.region_margin, "region_margin", owner)
        minimum = check_fraction(self.min_region, "min_region", owner)
        assert outside is not None and margin is not None and minimum is not None
        return _Params(
            owner=owner,
            target=target,
            confidence=conf,
            shares=_check_shares(self.shares, owner),
            per_class=self.per_class,
            descend=descend,
            keep=keep,
            min_growth=float(growth),
            offset=offset,
            outside_weight=outside,
            region_margin=margin,
            min_region=minimum,
        )

    def decide(
        self,
        audit: AuditRecords,
        population: Population,
        state: GuaranteeState | None = None,
    ) -> GuaranteeDecision:
        """Decide which items this round auto-accepts, and update the state.

        Parameters
        ----------
        audit : AuditRecords
            Every blind audit answer of the project, judged with this round's model.
        population : Population
            The items to route (not reviewed, not audited).
        state : GuaranteeState, optional
            The state of the previous round's decision (None: the project's first).

        Returns
        -------
        GuaranteeDecision
            With ``decision.state`` to persist.

        Raises
        ------
        ConfigError
            A parameter of the policy is invalid.
        InputError
            The arrays have wrong shapes or values, ``state`` is not a GuaranteeState, or
            classes are missing with ``per_class=True``.
        """
        p = self._params()
        if state is not None and not isinstance(state, GuaranteeState):
            raise InputError(
                f"{p.owner}.decide expects 'state' as a GuaranteeState (or None). Got "
                f"{type(state).__name__} instead; rebuild it with GuaranteeState.from_dict."
            )
        a, pop = _check_inputs(audit, population, p)
        return _decide(a, pop, _fresh_state(state, p), p)

    def audit_minimum(self) -> int:
        """The random audit sample the first test needs: room for the first share of the
        error budget (twice the audited items that, all right, pass at its level). The
        review queue mixes audit items in until the audit sample has this many.

        Examples
        --------
        >>> GuaranteePolicy(0.95, 0.95).audit_minimum()
        144
        """
        p = self._params()
        first = injection_level(1, delta=1.0 - p.confidence, offset=p.offset)
        n_min = required_audit_size(target_accuracy=p.target, confidence=1.0 - first)
        return int(math.ceil(_ROOM * n_min))

    def audit_design(self, scores: Any, keys: Any, state: GuaranteeState) -> AuditDesign:
        """Where the audit queue should draw until the next round.

        Parameters
        ----------
        scores : (n,) float array
            This round's confidence of *every* item (resolved ones too: the weight of an
            audited item places it in its stratum next round).
        keys : (n,) float array
            The items' random keys in [0, 1).
        state : GuaranteeState
            The state of this round's decision (it holds the region's cutoff).

        Returns
        -------
        AuditDesign
            Store ``weights`` per item (pass them back next round) and serve the audit
            queue in increasing ``queue_keys``.

        Raises
        ------
        InputError
            ``state`` is not a GuaranteeState, or the arrays are invalid.
        """
        p = self._params()
        if not isinstance(state, GuaranteeState):
            raise InputError(
                f"{p.owner}.audit_design expects 'state' as a GuaranteeState. Got "
                f"{type(state).__name__} instead."
            )
        return design_audit(
            scores, keys, cutoff=state.design_cutoff, outside_weight=p.outside_weight
        )


def _check_share(value: Any, name: str, owner: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
        raise ConfigError(
            f"The '{name}' parameter of {owner} must be a float in [0, 1]. Got {value!r} instead."
        )
    return float(value)


def _check_shares(shares: Any, owner: str) -> NDArray[np.float64]:
    if shares is None:
        return np.asarray(DEFAULT_SHARES, dtype=np.float64)
    try:
        arr = np.asarray(shares, dtype=np.float64)
    except (TypeError, ValueError):
        arr = np.asarray([np.nan])
    if (
        arr.ndim != 1
        or arr.size == 0
        or not np.all(np.isfinite(arr))
        or arr.min() <= 0
        or arr.max() > 1
        or np.any(np.diff(arr) <= 0)
    ):
        raise ConfigError(
            f"The 'shares' parameter of {owner} must be a non-empty, strictly increasing "
            f"sequence of floats in (0, 1]. Got {shares!r} instead; sort them with "
            "sorted(set(shares))."
        )
    return arr


@dataclass(frozen=True)
class _Params:
    owner: str
    target: float
    confidence: float
    shares: NDArray[np.float64]
    per_class: bool
    descend: float
    keep: float
    min_growth: float
    offset: int
    outside_weight: float
    region_margin: float
    min_region: float


@dataclass(frozen=True)
class _Audit:
    scores: NDArray[np.float64]
    correct: NDArray[np.bool_]
    keys: NDArray[np.float64]
    weights: NDArray[np.float64]
    classes: NDArray[np.int64]


@dataclass(frozen=True)
class _Population:
    scores: NDArray[np.float64]
    keys: NDArray[np.float64]
    weights: NDArray[np.float64]
    classes: NDArray[np.int64]
    was_auto: NDArray[np.bool_] | None
    reviewed: NDArray[np.float64]


def _check_classes(values: Any, name: str, owner: str, *, n: int, needed: bool) -> Any:
    if values is None:
        if needed:
            raise InputError(
                f"{owner} with per_class=True expects '{name}' (the predicted class of each "
                "item). Got None instead."
            )
        return np.zeros(n, dtype=np.int64)
    arr = np.asarray(values)
    if arr.shape != (n,) or (arr.size and (arr.dtype.kind not in "iu" or arr.min() < 0)):
        raise InputError(
            f"{owner} expects '{name}' as a 1-D array of non-negative class indices of shape "
            f"({n},). Got shape {arr.shape} and dtype {arr.dtype} instead."
        )
    return arr.astype(np.int64) if needed else np.zeros(n, dtype=np.int64)


def _check_inputs(
    audit: AuditRecords, population: Population, p: _Params
) -> tuple[_Audit, _Population]:
    owner = f"{p.owner}.decide"
    if not isinstance(audit, AuditRecords):
        raise InputError(
            f"{owner} expects 'audit' as AuditRecords. Got {type(audit).__name__} instead."
        )
    if not isinstance(population, Population):
        raise InputError(
            f"{owner} expects 'population' as a Population. Got "
            f"{type(population).__name__} instead."
        )
    scores = check_float_array(audit.scores, "audit.scores", owner)
    n = scores.shape[0]
    a = _Audit(
        scores=scores,
        correct=as_correct(audit.correct, owner=owner, n=n),
        keys=check_keys(audit.keys, "audit.keys", owner, n=n),
        weights=check_weights(audit.weights, "audit.weights", owner, n=n),
        classes=_check_classes(audit.classes, "audit.classes", owner, n=n, needed=p.per_class),
    )
    pscores = check_float_array(population.scores, "population.scores", owner)
    m = pscores.shape[0]
    was_auto = None
    if population.was_auto is not None:
        was_auto = np.asarray(population.was_auto)
        if was_auto.shape != (m,) or was_auto.dtype != np.bool_:
            raise InputError(
                f"{owner} expects 'population.was_auto' as a bool array of shape ({m},). Got "
                f"shape {was_auto.shape} and dtype {was_auto.dtype} instead."
            )
    pop = _Population(
        scores=pscores,
        keys=check_keys(population.keys, "population.keys", owner, n=m),
        weights=check_weights(population.weights, "population.weights", owner, n=m),
        classes=_check_classes(
            population.classes, "population.classes", owner, n=m, needed=p.per_class
        ),
        was_auto=was_auto,
        reviewed=(
            np.zeros(0)
            if population.reviewed_scores is None
            else check_float_array(population.reviewed_scores, "population.reviewed_scores", owner)
        ),
    )
    return a, pop


def _fresh_state(state: GuaranteeState | None, p: _Params) -> GuaranteeState:
    """The previous state, or a new one when there is none or the guarantee changed."""
    shares = [float(q) for q in p.shares]
    if state is None:
        return GuaranteeState(target_accuracy=p.target, confidence=p.confidence, shares=shares)
    same = (
        state.target_accuracy in (None, p.target)
        and state.confidence in (None, p.confidence)
        and (state.shares is None or state.shares == shares)
    )
    if same:
        return state
    # a new target, confidence or set of shares is a new guarantee: a new budget
    return GuaranteeState(
        target_accuracy=p.target,
        confidence=p.confidence,
        shares=shares,
        round=state.round,
        history=list(state.history),
    )


def _node_thresholds(
    scores: NDArray[np.float64],
    shares: NDArray[np.float64],
    n_reference: int,
    reviewed: NDArray[np.float64] | None = None,
) -> Any:
    """Confidence cutoff of each candidate set.

    The cutoff of set ``i`` is the ``ceil(shares[i] * n_reference)``-th highest score among
    the items to route and the ``reviewed`` ones (all of them when fewer are left; ties at
    the cutoff join the set); the set is the items to route at or above it.
    """
    if scores.size == 0:
        return np.full(shares.size, np.inf)
    pool = scores if reviewed is None or reviewed.size == 0 else np.concatenate([scores, reviewed])
    ranked = np.sort(pool)[::-1]
    rank = np.clip(np.ceil(shares * n_reference - 1e-9).astype(np.int64), 1, pool.size)
    return ranked[rank - 1]


def _injection_points(
    expected: NDArray[np.float64],
    population_scores: NDArray[np.float64],
    cutoffs: NDArray[np.float64],
    target: float,
    level: float,
    n_sample: int,
) -> list[tuple[int, float]]:
    """Where this round's fresh error enters: decided from scores and counts, not answers.

    At the smallest set holding ``max(n_min, min(2 n_min, n / 2))`` sampled items
    (``n_min``: the fewest that can pass at this level, all right; ``n``: the sample), as
    today's per-round policy starts its fixed sequence (counts of audited items, never
    their answers): confident enough to pass, large enough to tolerate an error or two among
    the most confident items once the sample is large (a start at ``1.2 n_min`` did worse on
    MNIST in benchmarks/guarantee.py); its level then moves on to larger sets as they pass.
    When the model's own error estimate, doubled, predicts a larger set to pass at a tenth
    of the level, half the fresh error goes there directly.
    """
    n_min = required_audit_size(target_accuracy=target, confidence=1.0 - level)
    wanted = max(n_min, min(2 * n_min, n_sample // 2))
    room = np.flatnonzero(expected >= wanted - 1e-9)
    if room.size == 0:
        return []
    start = int(room[0])
    n_above = above(population_scores, cutoffs)
    err_sum = above(population_scores, cutoffs, 1.0 - population_scores)
    err = np.minimum(1.0, _PESSIMISM * err_sum / np.maximum(n_above, 1))
    n_int = np.maximum(1, np.round(expected)).astype(np.int64)
    predicted = binom.cdf(np.floor(err * n_int), n_int, 1.0 - target)
    n_half = required_audit_size(target_accuracy=target, confidence=1.0 - level / 2.0)
    good = np.flatnonzero((expected >= n_half) & (predicted <= level / 10.0))
    if good.size and good[-1] > start:
        return [(start, level / 2.0), (int(good[-1]), level / 2.0)]
    return [(start, level)]


def _kl_bernoulli(p: NDArray[np.float64], q: float) -> NDArray[np.float64]:
    """KL(Bernoulli(p) || Bernoulli(q)), elementwise."""
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.asarray(p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q)))


def _more_audit(
    table: AuditTable,
    cutoffs: NDArray[np.float64],
    chosen: int,
    target: float,
    next_level: float,
    share_above: NDArray[np.float64],
    n_sample: int,
) -> tuple[int | None, float | None]:
    """Estimate how many audit answers would let a coming round certify a larger set.

    For each set larger than the chosen one whose audited items are comfortably right
    (a point estimate ``e`` of the error rate under 80% of the allowed one), the audited
    items it needs, ``log(1 / level) / KL(e || 1 - target)`` (the large-deviation size of
    the exact test), turned into further answers through the share of the next draws
    expected in the set; the largest set within ``max(4 * n_sample, 600)`` answers is
    reported with its cutoff. An estimate to guide people, not a test.
    """
    n_above = table.sample.sum(axis=(0, 1)).astype(np.float64)
    wrong = table.sample_wrong.sum(axis=(0, 1)).astype(np.float64)
    pop = table.population.sum(axis=(0, 1))
    floor_pop = int(pop[chosen]) if chosen >= 0 else 0
    rate = (wrong + 0.5) / (n_above + 1.0)  # Jeffreys-like point estimate
    cand = np.flatnonzero(
        (np.arange(cutoffs.size) > chosen)
        & (pop > floor_pop)
        & (share_above > 0)
        & (rate < 0.8 * (1.0 - target))
    )
    if cand.size == 0:
        return None, None
    needed = np.log(1.0 / next_level) / _kl_bernoulli(rate[cand], 1.0 - target)
    extra = np.ceil(np.maximum(needed - n_above[cand], 1.0) / share_above[cand])
    ok = extra <= max(4 * n_sample, 600)
    if not ok.any():
        return None, None
    best = int(np.flatnonzero(ok)[np.argmax(pop[cand[ok]])])
    return int(extra[best]), float(cutoffs[cand[best]])


def _decide(a: _Audit, pop: _Population, prev: GuaranteeState, p: _Params) -> GuaranteeDecision:
    shares, delta = p.shares, 1.0 - p.confidence
    n_reference = prev.n_reference or int(pop.scores.size + pop.reviewed.size)
    cutoffs = _node_thresholds(pop.scores, shares, n_reference, pop.reviewed)
    sample = locate_audit_sample(a.keys, a.weights, pop.keys, pop.weights, owner=p.owner)
    n_sample = int(sample.in_sample.sum())
    table = build_table(a.scores, ~a.correct, a.classes, pop.scores, pop.classes, sample, cutoffs)
    carry = np.asarray(prev.carry, dtype=np.float64) if prev.carry else np.zeros(shares.size)

    # fresh error enters once the sample has grown enough to make a test worth its cost
    j = prev.n_injections + 1
    fresh = injection_level(j, delta=delta, offset=p.offset)
    n_min = required_audit_size(target_accuracy=p.target, confidence=1.0 - fresh)
    # the sample at which this fresh error may enter (room for the test, and growth since
    # the last injection)
    needed = max(math.ceil(_ROOM * n_min), math.ceil((1.0 + p.min_growth) * prev.injected_at))
    # sampled items above each cutoff (counts of the sample, never its answers)
    expected = table.sample.sum(axis=(0, 1)).astype(np.float64)
    injection: list[tuple[int, float]] = []
    if pop.scores.size > 0 and n_sample >= needed:
        injection = _injection_points(expected, pop.scores, cutoffs, p.target, fresh, n_sample)
    inject = bool(injection)

    outcome = run_round(
        carry,
        injection,
        lambda i, lv: table.test(i, p.target, lv),
        descend=p.descend,
        keep=p.keep,
    )
    pop_in = table.population.sum(axis=(0, 1))
    passed = [i for i, o in enumerate(outcome.outcomes) if o == "passed" and pop_in[i]]
    chosen = passed[-1] if passed else -1
    threshold = float(cutoffs[chosen]) if chosen >= 0 else None
    auto = pop.scores >= threshold if threshold is not None else np.zeros(pop.scores.size, bool)
    n_auto = int(auto.sum())
    level = float(outcome.levels[chosen]) if chosen >= 0 else 0.0
    lower = table.lower_bound(chosen, level) if chosen >= 0 else 0.0
    n_above = int(table.sample[:, :, chosen].sum()) if chosen >= 0 else 0
    n_wrong = int(table.sample_wrong[:, :, chosen].sum()) if chosen >= 0 else 0

    n_injections = prev.n_injections + (1 if inject else 0)
    injected_total = prev.alpha_injected + (fresh if inject else 0.0)
    cutoff = None
    if p.outside_weight < 1.0 and pop.scores.size:
        auto_share = n_auto / pop.scores.size
        cutoff = region_cutoff(pop.scores, max(p.min_region, auto_share + p.region_margin))
    w_next = (
        np.where(pop.scores >= cutoff, 1.0, p.outside_weight)
        if cutoff is not None
        else np.ones(pop.scores.size)
    )
    share_next = above(pop.scores, cutoffs, w_next) / max(float(w_next.sum()), 1e-12)
    next_fresh = injection_level(n_injections + 1, delta=delta, offset=p.offset)
    n_more, more_thr = _more_audit(
        table, cutoffs, chosen, p.target, max(next_fresh, level), share_next, n_sample
    )
    if chosen < 0 and not outcome.levels.any() and pop.scores.size:
        # more audit answers asked of the review queue: room for the test only; the growth
        # the next injection also waits for comes with the audit's share of the answers
        # (asking for it too sent half of all answers to the audit, and certified less)
        n_more, more_thr = max(math.ceil(_ROOM * n_min) - n_sample, 1), None

    state = GuaranteeState(
        target_accuracy=p.target,
        confidence=p.confidence,
        round=prev.round + 1,
        n_injections=n_injections,
        alpha_injected=injected_total,
        injected_at=n_sample if inject else prev.injected_at,
        shares=[float(q) for q in shares],
        n_reference=n_reference,
        carry=[float(c) for c in outcome.carry],
        node=chosen,
        threshold=threshold,
        n_auto=n_auto,
        lower_bound=lower if chosen >= 0 else None,
        n_audit_above=n_above,
        n_wrong_above=n_wrong,
        design_cutoff=cutoff,
        history=[
            *prev.history[-99:],
            {
                "round": prev.round + 1,
                "node": chosen,
                "threshold": threshold,
                "n_auto": n_auto,
                "lower_bound": lower if chosen >= 0 else None,
                "levels": [float(v) for v in outcome.levels],
                "injected": fresh if inject else 0.0,
                "n_sample": n_sample,
            },
        ],
    )
    change = _explain(prev, state, auto, pop, outcome, table, a, sample, p, n_sample, n_min, needed)
    columns = zip(
        shares.tolist(),
        np.where(np.isfinite(cutoffs), cutoffs, np.nan).tolist(),
        pop_in.tolist(),
        table.sample.sum(axis=(0, 1)).tolist(),
        table.sample_wrong.sum(axis=(0, 1)).tolist(),
        outcome.levels.tolist(),
        outcome.p_values.tolist(),
        outcome.outcomes,
        strict=True,
    )
    steps = tuple(GuaranteeStep(*column) for column in columns)
    return GuaranteeDecision(
        threshold=threshold,
        auto=auto,
        n_auto=n_auto,
        target_accuracy=p.target,
        confidence=p.confidence,
        lower_bound=lower,
        n_audit_above=n_above,
        n_wrong_above=n_wrong,
        level=level,
        injected=fresh if inject else 0.0,
        alpha_injected=injected_total,
        alpha_held=state.alpha_held,
        alpha_spent=state.alpha_spent,
        n_audit=int(a.scores.size),
        n_sample=n_sample,
        n_more_audit=n_more,
        more_audit_threshold=more_thr,
        steps=steps,
        change=change,
        reason=_reason(steps, chosen, n_sample, n_min, needed, p.target, fresh),
        state=state,
    )


def _explain(
    prev: GuaranteeState,
    state: GuaranteeState,
    auto: NDArray[np.bool_],
    pop: _Population,
    outcome: RoundOutcome,
    table: AuditTable,
    a: _Audit,
    sample: AuditSample,
    p: _Params,
    n_sample: int,
    n_min: int,
    n_needed: int,
) -> DecisionChange:
    """Compare with the previous decision; re-test its set on this round's data if needed."""
    old_node = prev.node
    old_levels = prev.history[-1].get("levels", []) if prev.history else []

    def recheck(at_level: float) -> tuple[bool, int, int] | None:
        """The previous cutoff, on this round's scores and audit: passes at ``at_level``?"""
        if prev.threshold is None:
            return None
        cut = np.asarray([prev.threshold])
        t = build_table(a.scores, ~a.correct, a.classes, pop.scores, pop.classes, sample, cut)
        passed = at_level > 0 and t.test(0, p.target, at_level)[0] != "failed"
        return passed, int(t.sample[:, :, 0].sum()), int(t.sample_wrong[:, :, 0].sum())

    level_now = float(outcome.levels[old_node]) if 0 <= old_node < outcome.levels.size else 0.0
    level_before = float(old_levels[old_node]) if 0 <= old_node < len(old_levels) else 0.0
    return describe_change(
        prev=prev,
        threshold=state.threshold,
        n_auto=state.n_auto,
        auto=auto,
        was_auto=pop.was_auto,
        any_level=bool(outcome.levels.any()),
        level_now=level_now,
        level_before=level_before,
        recheck=recheck,
        n_sample=n_sample,
        n_min=n_min,
        n_needed=n_needed,
    )


def _reason(
    steps: tuple[GuaranteeStep, ...],
    chosen: int,
    n_sample: int,
    n_min: int,
    n_needed: int,
    target: float,
    fresh: float,
) -> str:
    tested = [s for s in steps if s.outcome in ("passed", "failed")]
    failed = [s for s in tested if s.outcome == "failed"]
    if not tested:
        return (
            f"too few audit answers to test: the next share of the error budget ({fresh:.2g}) "
            f"enters once the random audit sample holds about {n_needed} items "
            f"(at least {n_min} right above a cutoff are needed to certify {target:.1%}); it "
            f"holds {n_sample}. Audit more items."
        )
    if chosen < 0:
        what = "; ".join(
            f"the {s.n_population_above:,} most confident (>= {s.threshold:.3g}): "
            f"{s.n_wrong_above} of {s.n_audit_above} audited items wrong, p = {s.p_value:.2g} > "
            f"level {s.level:.2g}"
            for s in failed[:3]
        )
        return f"no candidate set passed its test ({what})."
    s = steps[chosen]
    larger = [f for f in failed if f.n_population_above > s.n_population_above]
    why = (
        "no larger set held a level to be tested (or none is left: every item to route is in it)"
        if not larger
        else f"the next larger one tested, the {larger[0].n_population_above:,} most "
        "confident, failed "
        f"({larger[0].n_wrong_above} of {larger[0].n_audit_above} wrong, p = "
        f"{larger[0].p_value:.2g} > {larger[0].level:.2g})"
    )
    return (
        f"the {s.n_population_above:,} most confident items to route (confidence >= "
        f"{s.threshold:.3g}) are the largest set certified: {s.n_wrong_above} of "
        f"{s.n_audit_above} audited items in it wrong, p = {s.p_value:.2g} <= level "
        f"{s.level:.2g}; {why}."
    )
