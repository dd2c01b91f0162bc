"""Where the blind audit draws its items, and which audited items form its random sample.

Design
------
Every item carries a uniform random key ``u`` in [0, 1), fixed at import and never seen by
a model, and a *design weight* ``w`` in (0, 1] set by the last round. The audit queue serves
the unresolved item (not reviewed, not audited) with the smallest ``u / w`` first. Items of
equal weight form a *stratum*; within a stratum the queue serves items in the order of
``u``, so the audited items of stratum ``h`` are the ones with ``u`` below the stratum's
*frontier* ``f_h``, the smallest ``u`` among its unresolved items. With ``w = 1`` for a
*region* of items the model may auto-accept and ``w = rho < 1`` elsewhere, the region is
audited ``1 / rho`` times as densely (the audit goes where it can certify); ``rho = 1``
gives the plain uniform audit.

Why the sample stays random
---------------------------
Keys are independent of everything, and the queue treats the items of a stratum
symmetrically, so the audited items of a stratum are the first ``n_h`` of its items in the
order of a random permutation: a simple random sample of the stratum's items that people
did not review, whatever ``n_h`` is. (Review choices are taken as given; see
:mod:`labelmill.quality._guarantee`.) When a round moves items into the region, those with
``u`` below the region's frontier are *holes*: the queue serves them first, and until they
are answered the region's frontier stays at the first hole. Audited items above their
stratum's frontier (drawn under an earlier design) are *extra*: their answers are known
and counted, but they are not part of the random sample.

References
----------
Cochran, W. G. (1977). Sampling Techniques, 3rd ed., ch. 5 (stratified random sampling).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from labelmill.exceptions import ConfigError, InputError

__all__ = ["AuditDesign", "AuditSample", "design_audit", "locate_audit_sample"]


@dataclass(frozen=True)
class AuditSample:
    """The strata of the design in force and the random sample of each.

    Attributes
    ----------
    weights : (n_strata,) float array
        The design weight of each stratum (one or two values), largest first.
    frontiers : (n_strata,) float array
        The smallest key among the stratum's unresolved items (1.0 when none is left).
    audit_stratum, population_stratum : int arrays
        The stratum of each audited and each unresolved item.
    in_sample : (n_audit,) bool array
        Audited items below their stratum's frontier: the random sample. The others are
        *extra* (known answers, not random).
    """

    weights: NDArray[np.float64]
    frontiers: NDArray[np.float64]
    audit_stratum: NDArray[np.int64]
    population_stratum: NDArray[np.int64]
    in_sample: NDArray[np.bool_]


def locate_audit_sample(
    audit_keys: NDArray[np.float64],
    audit_weights: NDArray[np.float64],
    population_keys: NDArray[np.float64],
    population_weights: NDArray[np.float64],
    *,
    owner: str = "locate_audit_sample",
) -> AuditSample:
    """Split items into strata by design weight and find each stratum's random sample.

    Parameters
    ----------
    audit_keys, audit_weights : (n_audit,) float arrays
        Random key and design weight (now in force) of every audited item.
    population_keys, population_weights : (n_items,) float arrays
        The same for every unresolved item (not reviewed, not audited).

    Returns
    -------
    AuditSample

    Raises
    ------
    InputError
        More than two distinct design weights (the exact test combines two strata).

    Examples
    --------
    >>> s = locate_audit_sample(np.array([0.1, 0.3]), np.ones(2), np.array([0.2, 0.9]), np.ones(2))
    >>> s.frontiers.tolist(), s.in_sample.tolist()  # 0.3 lies above the unresolved 0.2
    ([0.2], [True, False])
    """
    levels = np.unique(np.concatenate([audit_weights, population_weights]))[::-1]
    if levels.size > 2:
        raise InputError(
            f"{owner} combines at most two audit strata (two distinct design weights). Got "
            f"{levels.size} weights ({', '.join(f'{w:g}' for w in levels[:5])}) instead; write "
            "the weights of labelmill.quality.design_audit, which uses two."
        )
    if levels.size == 0:
        levels = np.ones(1)
    audit_stratum = np.searchsorted(-levels, -audit_weights).astype(np.int64)
    population_stratum = np.searchsorted(-levels, -population_weights).astype(np.int64)
    frontiers = np.ones(levels.size)
    for h in range(levels.size):
        keys = population_keys[population_stratum == h]
        if keys.size:
            frontiers[h] = float(keys.min())
    in_sample = audit_keys < frontiers[audit_stratum]
    return AuditSample(
        weights=levels.astype(np.float64),
        frontiers=frontiers,
        audit_stratum=audit_stratum,
        population_stratum=population_stratum,
        in_sample=np.asarray(in_sample, dtype=bool),
    )


@dataclass(frozen=True)
class AuditDesign:
    """The design the audit queue follows until the next round.

    Attributes
    ----------
    weights : (n,) float array
        Design weight of each item: store it and pass it back next round (it defines the
        strata of the sample).
    queue_keys : (n,) float array
        ``key / weight``: the audit queue serves the unresolved item with the smallest first.
    cutoff : float or None
        Items with confidence >= cutoff form the densely audited region (None: uniform).
    outside_weight : float
        Weight of the items outside the region (1.0: uniform).
    """

    weights: NDArray[np.float64]
    queue_keys: NDArray[np.float64]
    cutoff: float | None
    outside_weight: float


def design_audit(
    scores: Any,
    keys: Any,
    *,
    cutoff: float | None,
    outside_weight: float = 0.3,
) -> AuditDesign:
    """Design weights and queue keys: the region ``score >= cutoff`` audited most densely.

    Parameters
    ----------
    scores : (n,) float array
        This round's confidence of the items (all of them: the weight of resolved items
        defines their stratum next round).
    keys : (n,) float array
        The items' random keys in [0, 1).
    cutoff : float or None
        Lower end of the region; None audits uniformly.
    outside_weight : float, default=0.3
        Relative audit density outside the region, in (0, 1].

    Returns
    -------
    AuditDesign

    Raises
    ------
    ConfigError
        ``outside_weight`` is not in (0, 1].
    InputError
        ``scores`` and ``keys`` differ in shape, or keys are outside [0, 1).

    Examples
    --------
    >>> d = design_audit([0.99, 0.6], [0.5, 0.5], cutoff=0.9, outside_weight=0.25)
    >>> d.weights.tolist(), d.queue_keys.tolist()
    ([1.0, 0.25], [0.5, 2.0])
    """
    owner = "design_audit"
    ok = isinstance(outside_weight, int | float) and not isinstance(outside_weight, bool)
    if not ok or not 0.0 < float(outside_weight) <= 1.0:
        raise ConfigError(
            f"The 'outside_weight' parameter of {owner} must be a float in (0, 1]. Got "
            f"{outside_weight!r} instead."
        )
    s = check_float_array(scores, "scores", owner)
    k = check_keys(keys, "keys", owner, n=s.shape[0])
    if cutoff is None:
        weights = np.ones(s.shape[0])
    else:
        weights = np.where(s >= float(cutoff), 1.0, float(outside_weight))
    return AuditDesign(
        weights=weights,
        queue_keys=k / weights,
        cutoff=None if cutoff is None else float(cutoff),
        outside_weight=float(outside_weight) if cutoff is not None else 1.0,
    )


def region_cutoff(population_scores: NDArray[np.float64], share: float) -> float | None:
    """Score above which the top ``share`` of the population lies (None: everything)."""
    if share >= 1.0 or population_scores.size == 0:
        return None
    return float(np.quantile(population_scores, 1.0 - share, method="higher"))


def check_float_array(
    values: Any, name: str, owner: str, *, n: int | None = None
) -> NDArray[np.float64]:
    """A 1-D array of finite floats (of length ``n`` when given)."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{owner} expects '{name}' as numbers. Got {values!r} instead.") from exc
    if arr.ndim != 1 or (n is not None and arr.shape[0] != n) or not np.all(np.isfinite(arr)):
        expected = "(n,)" if n is None else f"({n},)"
        raise InputError(
            f"{owner} expects '{name}' as a 1-D array of finite floats of shape {expected}. "
            f"Got shape {arr.shape} (or NaN/infinite values) instead."
        )
    return arr


def check_keys(values: Any, name: str, owner: str, *, n: int | None = None) -> NDArray[np.float64]:
    """Random keys: floats in [0, 1)."""
    arr = check_float_array(values, name, owner, n=n)
    if arr.size and (arr.min() < 0.0 or arr.max() >= 1.0):
        raise InputError(
            f"{owner} expects '{name}' as the items' random keys in [0, 1). Got values from "
            f"{arr.min():g} to {arr.max():g} instead; pass items.random_key, not the queue key."
        )
    return arr


def check_weights(values: Any, name: str, owner: str, *, n: int) -> NDArray[np.float64]:
    """Design weights in (0, 1]; None means the uniform design (all 1)."""
    if values is None:
        return np.ones(n)
    arr = check_float_array(values, name, owner, n=n)
    if arr.size and (arr.min() <= 0.0 or arr.max() > 1.0):
        raise InputError(
            f"{owner} expects '{name}' as design weights in (0, 1]. Got values from "
            f"{arr.min():g} to {arr.max():g} instead."
        )
    return arr
