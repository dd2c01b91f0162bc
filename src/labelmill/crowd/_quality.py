"""Worker quality: confusion matrices, accuracy with exact intervals, spammers.

Pure functions over an answers table (``item``, ``worker``, ``label``) and reference
labels: gold labels where they exist, or the output of :func:`labelmill.crowd.aggregate`
(whose posteriors then give expected confusion counts).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import beta as beta_dist
from scipy.stats import chi2

from labelmill.crowd._answers import check_answers
from labelmill.exceptions import InputError
from labelmill.utils._validation import check_positive, check_unit_interval

__all__ = ["find_spammers", "worker_accuracy", "worker_confusion"]


def _reference(labels: Any, owner: str) -> tuple[pd.Series, pd.DataFrame | None, list[Any] | None]:
    """Reference labels as a Series item -> label, plus posteriors if ``labels`` has them."""
    if isinstance(labels, pd.DataFrame):
        if not {"item", "label"} <= set(labels.columns):
            raise InputError(
                f"labels passed to {owner} must be aggregate()'s output (columns item, label, "
                f"proba_...) or a mapping item -> label. Got columns {list(labels.columns)}."
            )
        ref = pd.Series(labels["label"].to_numpy(), index=labels["item"].to_numpy())
        classes = labels.attrs.get("classes")
        proba = None
        if classes is not None and all(f"proba_{c}" in labels.columns for c in classes):
            proba = pd.DataFrame(
                labels[[f"proba_{c}" for c in classes]].to_numpy(),
                index=labels["item"].to_numpy(),
            )
        return ref, proba, list(classes) if classes is not None else None
    if isinstance(labels, pd.Series):
        ref = labels
    elif isinstance(labels, Mapping):
        ref = pd.Series(dict(labels))
    else:
        raise InputError(
            f"labels passed to {owner} must be aggregate()'s output, a pandas Series or a "
            f"mapping item -> label. Got {type(labels).__name__}."
        )
    ref = ref[ref.notna()]
    if ref.index.has_duplicates:
        dup = ref.index[ref.index.duplicated()][0]
        raise InputError(f"labels passed to {owner} gives item {dup!r} more than one label.")
    return ref, None, None


def clopper_pearson(
    k: np.ndarray, n: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided exact binomial interval (Clopper and Pearson, 1934), vectorised.

    ``n == 0`` gives (NaN, NaN).
    """
    a = (1.0 - confidence) / 2.0
    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(k > 0, beta_dist.ppf(a, np.maximum(k, 1e-300), n - k + 1.0), 0.0)
        hi = np.where(k < n, beta_dist.ppf(1.0 - a, k + 1.0, np.maximum(n - k, 1e-300)), 1.0)
    lo = np.where(n > 0, lo, np.nan)
    hi = np.where(n > 0, hi, np.nan)
    return lo, hi


def worker_accuracy(answers: Any, labels: Any, *, confidence: float = 0.95) -> pd.DataFrame:
    """Each worker's accuracy against reference labels, with an exact interval.

    Parameters
    ----------
    answers : DataFrame with columns ``item``, ``worker``, ``label``
        Every answer counts (repeats too).
    labels : aggregate()'s output, a pandas Series or a mapping item -> label
        The reference: gold labels (items without gold are skipped) or aggregated labels.
    confidence : float in (0, 1), default=0.95
        Level of the two-sided Clopper-Pearson interval.

    Returns
    -------
    pandas.DataFrame, one row per worker (order of first appearance), columns ``worker``,
    ``n_answers`` (all), ``n_checked`` (answers on items with a reference label),
    ``n_correct``, ``accuracy``, ``ci_low``, ``ci_high`` (NaN when nothing was checked).

    Raises
    ------
    InputError
        Bad answers or labels.
    ConfigError
        ``confidence`` outside (0, 1).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"item": [1, 2, 3, 1], "worker": ["a", "a", "a", "b"],
    ...                    "label": ["x", "y", "x", "y"]})
    >>> worker_accuracy(df, {1: "x", 2: "y"})[["worker", "n_checked", "accuracy"]]
      worker  n_checked  accuracy
    0      a          2       1.0
    1      b          1       0.0
    """
    confidence = check_unit_interval(confidence, "confidence", "worker_accuracy")
    table = check_answers(answers, "worker_accuracy")
    ref, _, _ = _reference(labels, "worker_accuracy")
    truth = table["item"].map(ref)
    checked = truth.notna().to_numpy()
    correct = checked & (table["label"].to_numpy() == truth.to_numpy())
    workers = pd.unique(table["worker"])
    g = pd.DataFrame({"worker": table["worker"], "checked": checked, "correct": correct})
    agg = g.groupby("worker", sort=False).agg(
        n_answers=("checked", "size"), n_checked=("checked", "sum"), n_correct=("correct", "sum")
    )
    agg = agg.reindex(workers)
    n, k = agg["n_checked"].to_numpy(), agg["n_correct"].to_numpy()
    lo, hi = clopper_pearson(k, n, confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    return pd.DataFrame(
        {
            "worker": workers,
            "n_answers": agg["n_answers"].to_numpy().astype(np.int64),
            "n_checked": n.astype(np.int64),
            "n_correct": k.astype(np.int64),
            "accuracy": acc,
            "ci_low": lo,
            "ci_high": hi,
        }
    )


def _expected_counts(
    table: pd.DataFrame,
    labels: Any,
    classes: Sequence[Hashable] | None,
    owner: str,
) -> tuple[pd.Index, list[Any], np.ndarray]:
    """``(workers, classes, N)`` with ``N[w, true, answered]`` (expected) answer counts."""
    ref, proba, ref_classes = _reference(labels, owner)
    if classes is not None:
        order = list(classes)
    elif ref_classes is not None:
        order = ref_classes
    else:
        values = pd.unique(pd.concat([table["label"], ref], ignore_index=True)).tolist()
        try:
            order = sorted(values)
        except TypeError:
            order = values
    index = pd.Index(order)
    answered = index.get_indexer(table["label"])
    if (answered < 0).any():
        bad = table["label"][answered < 0].iloc[0]
        raise InputError(f"{owner}: answer label {bad!r} is not in classes {order!r}.")
    w_codes, workers = pd.factorize(table["worker"], sort=False)
    k = len(order)
    if proba is not None:
        T = proba.reindex(table["item"].to_numpy()).to_numpy()
        known = ~np.isnan(T).any(axis=1)
    else:
        t = index.get_indexer(table["item"].map(ref))
        known = t >= 0
        T = np.zeros((len(table), k))
        T[np.flatnonzero(known), t[known]] = 1.0
    N = np.zeros((len(workers), k, k))
    rows = np.flatnonzero(known)
    for c in range(k):
        N[:, c, :] += np.bincount(
            w_codes[rows] * k + answered[rows], weights=T[rows, c], minlength=len(workers) * k
        ).reshape(len(workers), k)
    return pd.Index(workers), order, N


def worker_confusion(
    answers: Any,
    labels: Any,
    *,
    classes: Sequence[Hashable] | None = None,
) -> pd.DataFrame:
    """Each worker's confusion matrix against reference labels, as a long table.

    Parameters
    ----------
    answers : DataFrame with columns ``item``, ``worker``, ``label``
    labels : aggregate()'s output (its posteriors give expected counts), a Series or a
        mapping item -> label (gold; items without one are skipped).
    classes : sequence or None
        Class order; defaults to aggregate()'s classes or the sorted labels.

    Returns
    -------
    pandas.DataFrame with columns ``worker``, ``true``, ``answered``, ``count`` (expected
    number of answers) and ``rate`` (= count / answers of that worker on items of that
    true class, NaN when there were none): ``k * k`` rows per worker.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"item": [1, 2], "worker": ["a", "a"], "label": ["x", "x"]})
    >>> worker_confusion(df, {1: "x", 2: "y"})["count"].tolist()
    [1.0, 0.0, 1.0, 0.0]
    """
    table = check_answers(answers, "worker_confusion")
    workers, order, N = _expected_counts(table, labels, classes, "worker_confusion")
    k = len(order)
    row_total = N.sum(axis=2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(row_total > 0, N / np.where(row_total > 0, row_total, 1.0), np.nan)
    names = np.empty(k, dtype=object)
    for c, name in enumerate(order):
        names[c] = name
    return pd.DataFrame(
        {
            "worker": np.repeat(np.asarray(workers, dtype=object), k * k),
            "true": np.tile(np.repeat(names, k), len(workers)),
            "answered": np.tile(names, k * len(workers)),
            "count": N.reshape(-1),
            "rate": rate.reshape(-1),
        }
    )


def find_spammers(
    answers: Any,
    labels: Any = None,
    *,
    max_score: float = 0.2,
    min_answers: int = 10,
    alpha: float = 0.05,
    classes: Sequence[Hashable] | None = None,
) -> pd.DataFrame:
    """Workers whose answers look independent of the truth.

    A spammer's confusion matrix has identical rows: what it answers does not depend on
    the true class. The spammer score of Raykar and Yu (JMLR 13, 2012) measures the
    distance to that: ``sum over pairs of true classes c < c' and answers l of
    (A[c, l] - A[c', l])^2 / (k (k - 1))``, 0 for a spammer and 1 for a perfect worker
    (``A`` = the worker's row-normalised confusion matrix; true classes the worker never
    met are left out). A chi-square test of independence on the (expected) confusion
    counts gives ``p_value``. A worker is flagged when it gave at least ``min_answers``
    answers, its score is at most ``max_score`` and independence is not rejected at
    level ``alpha``.

    Parameters
    ----------
    answers : DataFrame with columns ``item``, ``worker``, ``label``
    labels : aggregate()'s output, a Series / mapping item -> label, or None
        The reference; ``None`` runs ``aggregate(answers)`` first.
    max_score : float in (0, 1], default=0.2
    min_answers : int, default=10
    alpha : float in (0, 1), default=0.05
    classes : sequence or None

    Returns
    -------
    pandas.DataFrame, one row per worker, columns ``worker``, ``n_answers`` (answers on
    items with a reference), ``spammer_score``, ``p_value``, ``is_spammer``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> truth = rng.integers(0, 2, 60)
    >>> rows = [(i, "good", t) for i, t in enumerate(truth)]
    >>> rows += [(i, "spam", int(rng.integers(0, 2))) for i in range(60)]
    >>> df = pd.DataFrame(rows, columns=["item", "worker", "label"])
    >>> find_spammers(df, dict(enumerate(truth)))[["worker", "is_spammer"]]
      worker  is_spammer
    0   good       False
    1   spam        True
    """
    max_score = check_positive(max_score, "max_score", "find_spammers")
    min_answers = check_positive(min_answers, "min_answers", "find_spammers", integer=True)
    alpha = check_unit_interval(alpha, "alpha", "find_spammers")
    table = check_answers(answers, "find_spammers")
    if labels is None:
        from labelmill.crowd._aggregate import aggregate

        labels = aggregate(table, classes=classes)
    workers, _, N = _expected_counts(table, labels, classes, "find_spammers")
    n = N.sum(axis=(1, 2))
    row_total = N.sum(axis=2)
    met = row_total > 0
    A = N / np.where(row_total > 0, row_total, 1.0)[:, :, None]
    score = np.full(len(workers), np.nan)
    p_value = np.full(len(workers), np.nan)
    for w in range(len(workers)):
        rows = np.flatnonzero(met[w])
        if rows.size >= 2:
            Aw = A[w, rows]
            diff = ((Aw[:, None, :] - Aw[None, :, :]) ** 2).sum(axis=2)
            score[w] = float(np.triu(diff, 1).sum() / (rows.size * (rows.size - 1)))
            used = N[w][np.ix_(rows, np.flatnonzero(N[w].sum(axis=0) > 0))]
            if used.shape[1] >= 2:
                expected = np.outer(used.sum(axis=1), used.sum(axis=0)) / used.sum()
                stat = float(((used - expected) ** 2 / np.where(expected > 0, expected, 1)).sum())
                dof = (used.shape[0] - 1) * (used.shape[1] - 1)
                p_value[w] = float(chi2.sf(stat, dof))
            else:
                p_value[w] = 1.0  # always the same answer: independent of the truth
    flagged = (n >= min_answers) & (np.nan_to_num(score, nan=1.0) <= max_score)
    flagged &= np.nan_to_num(p_value, nan=0.0) > alpha
    return pd.DataFrame(
        {
            "worker": np.asarray(workers, dtype=object),
            "n_answers": n,
            "spammer_score": score,
            "p_value": p_value,
            "is_spammer": flagged,
        }
    )
