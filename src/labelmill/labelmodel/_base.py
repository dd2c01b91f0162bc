"""Shared behaviour of the label models: validation, fitted checks, prediction, scoring.

Every label model is a scikit-learn style estimator over a vote matrix ``L`` and also
answers to the calls a Snorkel notebook makes (``predict(L, return_probs=...,
tie_break_policy=...)``, ``score(L, Y, metrics=[...])``, ``get_weights()``), so that
``from snorkel.labeling.model import ...`` can become ``from labelmill.labelmodel import
...`` with nothing else changed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from labelmill.exceptions import ConfigError, InputError, NotFittedError
from labelmill.labelmodel._validation import (
    VoteMatrix,
    check_cardinality,
    check_label_matrix,
    check_not_empty,
    validate_label_matrix,
)
from labelmill.utils._validation import check_random_state

__all__ = [
    "BaseLabelModel",
    "TIE_BREAK_POLICIES",
    "break_ties",
    "check_class_prior",
    "decide",
    "score_predictions",
]

TIE_BREAK_POLICIES = ("prior", "balance", "random", "true-random", "abstain")
SCORE_METRICS = (
    "accuracy",
    "coverage",
    "precision",
    "recall",
    "f1",
    "f1_micro",
    "f1_macro",
    "matthews_corrcoef",
    "roc_auc",
)
_TIE_TOL = 1e-9


def check_class_prior(class_prior: Any, k: int, owner: str) -> np.ndarray | None:
    """Validate a ``class_prior`` parameter: ``None`` or ``k`` positive numbers summing to 1."""
    if class_prior is None:
        return None
    try:
        prior = np.asarray(class_prior, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(
            f"The 'class_prior' parameter of {owner} must be None or {k} probabilities. "
            f"Got {class_prior!r} instead."
        ) from None
    if prior.shape != (k,) or not np.all(np.isfinite(prior)) or np.any(prior <= 0):
        raise ConfigError(
            f"The 'class_prior' parameter of {owner} must be None or {k} positive probabilities "
            f"(one per class). Got {class_prior!r} instead."
        )
    if abs(prior.sum() - 1.0) > 1e-6:
        raise ConfigError(
            f"The 'class_prior' parameter of {owner} must sum to 1. Got a sum of "
            f"{prior.sum():.6g} instead."
        )
    return prior


def break_ties(proba: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Argmax of each row; ties go to the class with the larger prior, then the lowest index."""
    top = proba.max(axis=1, keepdims=True)
    tied = proba >= top - _TIE_TOL
    rank = np.unique(prior, return_inverse=True)[1].astype(np.float64) + 1.0  # dense rank
    result: np.ndarray = np.argmax(
        tied * rank[None, :] - 1e-9 * np.arange(proba.shape[1])[None, :], axis=1
    )
    return result


def decide(
    proba: np.ndarray,
    prior: np.ndarray,
    *,
    policy: str = "prior",
    uncovered: np.ndarray | None = None,
    random_state: Any = None,
) -> np.ndarray:
    """Turn posteriors into labels, deciding ties (and items nobody voted on) by ``policy``.

    Parameters
    ----------
    proba : (n_items, k) float array
        Posteriors; classes within 1e-9 of a row's maximum are tied.
    prior : (k,) float array
        Estimated class balance.
    policy : {"prior", "balance", "random", "true-random", "abstain"}, default="prior"
        ``"prior"``: the tied class with the larger class balance (then the lowest index);
        the most probable label. ``"balance"``: tied items, and items no source voted on,
        get a class drawn in proportion to the class balance (restricted to the tied
        classes), so undecided items follow the estimated class balance instead of all
        going to its top class. ``"random"``: a uniformly random tied class drawn with
        ``random_state``. ``"true-random"``: the same with fresh entropy (Snorkel's name).
        ``"abstain"``: -1 for tied items and for items no source voted on (Snorkel's
        default for ``predict``).
    uncovered : (n_items,) bool array or None
        Items no source voted on (used by ``"balance"`` and ``"abstain"``).
    random_state : int, Generator or None

    Returns
    -------
    labels : (n_items,) int array, -1 only with ``"abstain"``

    Examples
    --------
    >>> import numpy as np
    >>> P = np.array([[0.5, 0.5], [0.9, 0.1], [0.3, 0.7]])
    >>> decide(P, np.array([0.3, 0.7])).tolist()
    [1, 0, 1]
    >>> decide(P, np.array([0.3, 0.7]), policy="abstain").tolist()
    [-1, 0, 1]
    """
    if policy not in TIE_BREAK_POLICIES:
        listed = ", ".join(repr(p) for p in TIE_BREAK_POLICIES)
        raise ConfigError(
            f"The 'tie_break_policy' must be one of {listed} (or None for the model's default). "
            f"Got {policy!r} instead."
        )
    n, k = proba.shape
    unc = np.zeros(n, dtype=bool) if uncovered is None else np.asarray(uncovered, dtype=bool)
    if policy == "prior":
        return break_ties(proba, prior)
    top = proba.max(axis=1, keepdims=True)
    tied = proba >= top - _TIE_TOL
    is_tie = tied.sum(axis=1) > 1
    labels = np.argmax(proba, axis=1)
    if policy == "abstain":
        labels[is_tie | unc] = -1
        return labels
    rng = np.random.default_rng() if policy == "true-random" else None
    if rng is None:
        rng = check_random_state(random_state, owner="decide")
    if policy in ("random", "true-random"):
        noise = rng.random((n, k))
        result: np.ndarray = np.argmax(np.where(tied, noise, -1.0), axis=1)
        return result
    # "balance": draw among the tied classes (every class for uncovered items) in
    # proportion to the class balance.
    undecided = is_tie | unc
    if undecided.any():
        weights = np.where(tied[undecided] | unc[undecided, None], prior[None, :], 0.0)
        weights /= weights.sum(axis=1, keepdims=True)
        u = rng.random(int(undecided.sum()))[:, None]
        labels[undecided] = np.minimum((np.cumsum(weights, axis=1) < u).sum(axis=1), k - 1)
    return labels


def score_predictions(
    y: np.ndarray,
    pred: np.ndarray,
    proba: np.ndarray | None,
    metrics: list[str],
    *,
    owner: str,
) -> dict[str, float]:
    """Snorkel-style scores: items with gold -1 or prediction -1 (abstain) are left out.

    ``coverage`` is the fraction of items (with gold) that got a prediction.
    """
    from sklearn import metrics as skm

    bad = [m for m in metrics if m not in SCORE_METRICS]
    if bad:
        raise ConfigError(
            f"{owner}.score got unknown metric(s) {bad}; supported: {', '.join(SCORE_METRICS)}."
        )
    has_gold = y >= 0
    kept = has_gold & (pred >= 0)
    yt, yp = y[kept], pred[kept]
    out: dict[str, float] = {}
    for name in metrics:
        if name == "coverage":
            out[name] = float(kept.sum() / max(has_gold.sum(), 1))
        elif yt.size == 0:
            out[name] = float("nan")
        elif name == "accuracy":
            out[name] = float(np.mean(yt == yp))
        elif name in ("precision", "recall", "f1"):
            fn = {"precision": skm.precision_score, "recall": skm.recall_score, "f1": skm.f1_score}
            out[name] = float(fn[name](yt, yp, pos_label=1, average="binary", zero_division=0))
        elif name in ("f1_micro", "f1_macro"):
            out[name] = float(skm.f1_score(yt, yp, average=name[3:], zero_division=0))
        elif name == "matthews_corrcoef":
            out[name] = float(skm.matthews_corrcoef(yt, yp))
        else:  # roc_auc, binary, from the positive-class probability
            if proba is None or proba.shape[1] != 2 or len(np.unique(yt)) < 2:
                out[name] = float("nan")
            else:
                out[name] = float(skm.roc_auc_score(yt, proba[kept, 1]))
    return out


class BaseLabelModel(BaseEstimator):  # type: ignore[misc]
    """Base class: the estimator contract shared by all label models.

    Subclasses implement ``_fit(V, prior)`` and ``_predict_proba(V)`` on a validated
    :class:`~labelmill.labelmodel._validation.VoteMatrix`.
    """

    cardinality: int | None
    class_prior: Any

    # --- contract -------------------------------------------------------------------
    def fit(self, L: Any, y: Any = None) -> BaseLabelModel:
        """Learn from a label matrix.

        Parameters
        ----------
        L : (n_items, n_sources) int array, -1 = abstain; scipy.sparse with label+1
            (0 = abstain); or a :class:`VoteMatrix`.
        y : ignored
            Present for scikit-learn compatibility.

        Returns
        -------
        self

        Raises
        ------
        InputError
            ``L`` is invalid or has no rows or no columns.
        ConfigError
            A parameter is invalid.
        """
        owner = type(self).__name__
        k = check_cardinality(self.cardinality, owner)
        checked = validate_label_matrix(L, k, owner=owner)
        check_not_empty(checked, owner)
        V = checked.votes()
        prior = check_class_prior(self.class_prior, V.k, owner)
        self.cardinality_ = V.k
        self.n_sources_ = V.n_sources
        self.uncovered_ = ~V.covered()
        self._fit(V, prior)
        return self

    def predict_proba(self, L: Any) -> np.ndarray:
        """Posterior over classes for every item.

        Parameters
        ----------
        L : (n_items, n_sources) int array, -1 = abstain (or scipy.sparse, label+1, or a
            VoteMatrix).

        Returns
        -------
        proba : (n_items, k) float array, rows sum to 1. Items no source voted on get
            ``class_prior_``.
        """
        V = self._check_input(L)
        return self._predict_proba(V)

    def predict(
        self, L: Any, return_probs: bool = False, tie_break_policy: str | None = None
    ) -> Any:
        """Most probable class per item, ties decided by ``tie_break_policy``.

        Parameters
        ----------
        L : (n_items, n_sources) int array, -1 = abstain (or scipy.sparse, label+1, or a
            VoteMatrix).
        return_probs : bool, default=False
            Also return the posteriors (Snorkel's signature).
        tie_break_policy : {"prior", "balance", "random", "true-random", "abstain"} or None
            How tied items (and, for ``"balance"`` and ``"abstain"``, items no source voted
            on) are decided; see :func:`labelmill.labelmodel.decide`. ``None`` (default) is
            ``"prior"``: the tied class with the larger estimated class balance. Unlike
            Snorkel, whose default is ``"abstain"``, labelmill never returns -1 unless asked.

        Returns
        -------
        labels : (n_items,) int array; with ``return_probs`` the tuple
            ``(labels, proba)``.
        """
        V = self._check_input(L)
        proba = self._predict_proba(V)
        labels = decide(
            proba,
            self.class_prior_,
            policy=self._default_policy() if tie_break_policy is None else tie_break_policy,
            uncovered=~V.covered(),
            random_state=getattr(self, "random_state", None),
        )
        return (labels, proba) if return_probs else labels

    def score(
        self,
        L: Any,
        Y: Any,
        metrics: list[str] | None = None,
        tie_break_policy: str | None = None,
    ) -> dict[str, float]:
        """Scores of the predictions against gold labels, as a dict (Snorkel's ``score``).

        Parameters
        ----------
        L : (n_items, n_sources) int array, -1 = abstain (or scipy.sparse / VoteMatrix)
        Y : (n_items,) int array-like
            Gold classes; -1 marks items without gold (left out).
        metrics : list of str or None, default=None
            Any of ``"accuracy"`` (the default), ``"coverage"``, ``"precision"``,
            ``"recall"``, ``"f1"`` (binary, class 1 positive), ``"f1_micro"``,
            ``"f1_macro"``, ``"matthews_corrcoef"``, ``"roc_auc"`` (binary).
        tie_break_policy : str or None
            As in :meth:`predict`. With ``"abstain"`` the items predicted -1 are left out
            of every metric but ``"coverage"``, as Snorkel does.

        Returns
        -------
        dict mapping each metric name to its value (NaN when nothing is left to score).

        Raises
        ------
        InputError
            ``Y`` does not have one class index (or -1) per row of ``L``.
        ConfigError
            An unknown metric or tie-break policy.
        """
        owner = type(self).__name__
        labels, proba = self.predict(L, return_probs=True, tie_break_policy=tie_break_policy)
        gold = check_gold(Y, labels.shape[0], proba.shape[1], owner=owner, method="score")
        return score_predictions(gold, labels, proba, list(metrics or ["accuracy"]), owner=owner)

    def get_weights(self) -> np.ndarray:
        """Estimated accuracy of each source (Snorkel's ``get_weights``).

        Returns
        -------
        acc : (n_sources,) float array; NaN for a source that never voted.
        """
        return self.source_accuracies()

    def uncovered(self, L: Any) -> np.ndarray:
        """Mask of items on which no source voted (they get the class prior).

        Parameters
        ----------
        L : (n_items, n_sources) int array, -1 = abstain (or scipy.sparse, label+1).

        Returns
        -------
        mask : (n_items,) bool array
        """
        return ~self._check_input(L).covered()

    def source_accuracies(self) -> np.ndarray:
        """Estimated accuracy of each source: P(vote is right | the source voted).

        Returns
        -------
        acc : (n_sources,) float array; NaN for a source that never voted.
        """
        self._check_fitted()
        return np.asarray(self.source_accuracies_, dtype=np.float64)

    # --- helpers ------------------------------------------------------------------------
    def _default_policy(self) -> str:
        return "prior"

    def _check_fitted(self) -> None:
        if not hasattr(self, "cardinality_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with a "
                "label matrix before using this method."
            )

    def _check_input(self, L: Any) -> VoteMatrix:
        self._check_fitted()
        return check_label_matrix(
            L, self.cardinality_, owner=type(self).__name__, n_sources=self.n_sources_
        )

    def _fit(self, V: VoteMatrix, prior: np.ndarray | None) -> None:  # pragma: no cover
        raise NotImplementedError

    def _predict_proba(self, V: VoteMatrix) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


def check_gold(y: Any, n: int, k: int, *, owner: str, method: str = "fit") -> np.ndarray:
    """Validate gold labels aligned with the rows of ``L``: class indices or -1 (unknown)."""
    gold = np.asarray(y)
    if gold.ndim != 1 or gold.shape[0] != n:
        raise InputError(
            f"y passed to {owner}.{method} must be a 1-D array with one entry per row of L "
            f"({n}); -1 marks items without gold. Got shape {gold.shape}."
        )
    if gold.dtype.kind == "f" and np.all(np.isfinite(gold)) and np.all(np.mod(gold, 1) == 0):
        gold = gold.astype(np.int64)
    if gold.dtype.kind not in "iu" or (gold < -1).any() or (gold >= k).any():
        if gold.dtype.kind in "iu":
            bad = int(np.flatnonzero((gold < -1) | (gold >= k))[0])
            got = f"{gold[bad].item()!r} at position {bad}"
        else:
            got = f"dtype {gold.dtype}"
        raise InputError(
            f"y passed to {owner}.{method} must hold class indices 0..{k - 1} or -1 "
            f"(unknown). Got {got}."
        )
    return gold.astype(np.int64)
