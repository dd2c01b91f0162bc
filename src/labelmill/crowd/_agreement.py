"""Agreement between annotators: Cohen's kappa, Fleiss' kappa, Krippendorff's alpha.

Pure functions. Each accepts the natural input of its statistic (two label vectors, a
count table, a reliability matrix) and also a crowd answers table (``item``, ``worker``,
``label``), where a worker's latest answer on an item (last row) is the one that counts.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from labelmill.crowd._answers import check_answers
from labelmill.exceptions import InputError
from labelmill.utils._validation import check_choice, check_positive

__all__ = [
    "cohen_kappa",
    "fleiss_kappa",
    "item_agreement",
    "krippendorff_alpha",
    "pairwise_agreement",
    "percent_agreement",
]

LEVELS = ("nominal", "ordinal", "interval")


def _missing(values: np.ndarray) -> np.ndarray:
    return np.asarray(pd.isna(values), dtype=bool)


def _latest(answers: Any, owner: str) -> pd.DataFrame:
    """Answers with one row per (item, worker): the last one given."""
    table = check_answers(answers, owner)
    return table.drop_duplicates(["item", "worker"], keep="last")


def _ordered_classes(
    values: Sequence[Any] | np.ndarray, classes: Sequence[Hashable] | None, owner: str
) -> list[Any]:
    if classes is not None:
        listed = list(classes)
        unknown = pd.Index(pd.unique(np.asarray(values, dtype=object))).difference(pd.Index(listed))
        if len(unknown):
            raise InputError(
                f"{owner} got label(s) {list(unknown[:5])} that are not in classes {listed!r}. "
                "Fix the labels or add the classes."
            )
        return listed
    uniq = pd.unique(np.asarray(values, dtype=object)).tolist()
    try:
        return sorted(uniq)
    except TypeError:
        return uniq


def cohen_kappa(
    a: Any,
    b: Any,
    *,
    weights: str | None = None,
    classes: Sequence[Hashable] | None = None,
) -> float:
    """Cohen's kappa between two annotators' labels of the same items.

    Equal to scikit-learn's ``cohen_kappa_score(a, b, weights=weights, labels=classes)``.

    Parameters
    ----------
    a, b : 1-D array-like of the same length
        The two annotators' labels (any hashable values); position ``i`` is item ``i``.
        Pairs where either label is missing (None or NaN) are left out.
    weights : {None, "linear", "quadratic"}, default=None
        Disagreement weights for ordinal labels (by their position in ``classes``).
    classes : sequence or None, default=None
        Label order (needed for weights); ``None`` sorts the labels that occur.

    Returns
    -------
    float in [-1, 1]; NaN when no pair is left or when chance agreement is 1 (both
    annotators always give the same single label).

    Raises
    ------
    InputError
        Lengths differ, or a label is outside ``classes``.
    ConfigError
        Unknown ``weights``.

    Examples
    --------
    >>> round(cohen_kappa(["y", "y", "n", "n"], ["y", "n", "n", "n"]), 4)
    0.5
    """
    check_choice(weights, "weights", "cohen_kappa", (None, "linear", "quadratic"))
    x = np.asarray(a, dtype=object).ravel()
    z = np.asarray(b, dtype=object).ravel()
    if x.shape != z.shape:
        raise InputError(
            f"cohen_kappa needs two label vectors of the same length; got {x.size} and "
            f"{z.size}. Position i must be the same item in both."
        )
    keep = ~(_missing(x) | _missing(z))
    x, z = x[keep], z[keep]
    if x.size == 0:
        return float("nan")
    order = _ordered_classes(np.concatenate([x, z]), classes, "cohen_kappa")
    index = pd.Index(order)
    ix, iz = index.get_indexer(x), index.get_indexer(z)
    k = len(order)
    confusion = np.zeros((k, k))
    np.add.at(confusion, (ix, iz), 1.0)
    expected = np.outer(confusion.sum(axis=1), confusion.sum(axis=0)) / confusion.sum()
    if weights is None:
        w = 1.0 - np.eye(k)
    else:
        d = np.abs(np.arange(k)[:, None] - np.arange(k)[None, :]).astype(np.float64)
        w = d if weights == "linear" else d**2
    denom = float((w * expected).sum())
    if denom == 0.0:
        return float("nan")
    return float(1.0 - (w * confusion).sum() / denom)


def _count_table(data: Any, owner: str, classes: Sequence[Hashable] | None) -> np.ndarray:
    if isinstance(data, pd.DataFrame) and {"item", "worker", "label"} <= set(data.columns):
        table = _latest(data, owner)
        order = _ordered_classes(table["label"].to_numpy(), classes, owner)
        codes = pd.Index(order).get_indexer(table["label"])
        items = pd.factorize(table["item"])[0]
        counts = np.zeros((items.max() + 1, len(order)))
        np.add.at(counts, (items, codes), 1.0)
        return counts
    counts = np.asarray(data, dtype=np.float64)
    if counts.ndim != 2 or counts.shape[1] < 2:
        raise InputError(
            f"{owner} needs an answers table (item, worker, label) or a count table of shape "
            f"(n_items, n_classes >= 2). Got shape {counts.shape}."
        )
    if not np.all(np.isfinite(counts)) or np.any(counts < 0) or np.any(np.mod(counts, 1)):
        raise InputError(
            f"{owner} count table must hold non-negative integer counts (answers per item and "
            "class)."
        )
    return counts


def fleiss_kappa(data: Any, *, classes: Sequence[Hashable] | None = None) -> float:
    """Fleiss' kappa: agreement of many annotators beyond chance.

    Equal to statsmodels' ``fleiss_kappa(table)`` when every item has the same number of
    answers. With unequal numbers, each item's agreement is the share of its answer
    pairs that agree (items with fewer than two answers are left out) and the chance
    agreement comes from the class shares of those items' answers.

    Parameters
    ----------
    data : answers DataFrame (``item``, ``worker``, ``label``) or (n_items, n_classes)
        count table (answers of each class per item).
    classes : sequence or None
        Class order for an answers table (any order gives the same kappa).

    Returns
    -------
    float; NaN when fewer than one item has two answers or chance agreement is 1.

    Raises
    ------
    InputError
        A malformed table or answers.

    Examples
    --------
    >>> round(fleiss_kappa([[3, 0], [0, 3], [2, 1]]), 4)
    0.55
    """
    counts = _count_table(data, "fleiss_kappa", classes)
    n = counts.sum(axis=1)
    keep = n >= 2
    if not keep.any():
        return float("nan")
    counts, n = counts[keep], n[keep]
    p_item = ((counts * counts).sum(axis=1) - n) / (n * (n - 1.0))
    p_class = counts.sum(axis=0) / counts.sum()
    p_exp = float((p_class * p_class).sum())
    if p_exp >= 1.0:
        return float("nan")
    return float((p_item.mean() - p_exp) / (1.0 - p_exp))


def percent_agreement(data: Any, *, classes: Sequence[Hashable] | None = None) -> float:
    """Share of answer pairs on the same item that agree (items with >= 2 answers).

    Parameters
    ----------
    data : answers DataFrame or (n_items, n_classes) count table, as :func:`fleiss_kappa`.
    classes : sequence or None

    Returns
    -------
    float in [0, 1] (NaN when no item has two answers): the mean over items of the
    share of agreeing pairs.

    Examples
    --------
    >>> round(percent_agreement([[3, 0], [0, 3], [2, 1]]), 4)
    0.7778
    """
    counts = _count_table(data, "percent_agreement", classes)
    n = counts.sum(axis=1)
    keep = n >= 2
    if not keep.any():
        return float("nan")
    counts, n = counts[keep], n[keep]
    return float((((counts * counts).sum(axis=1) - n) / (n * (n - 1.0))).mean())


def _reliability_matrix(
    data: Any, owner: str, classes: Sequence[Hashable] | None
) -> tuple[np.ndarray, list[Any]]:
    """``(n_coders, n_units)`` float codes (position in the value order), NaN = missing."""
    if isinstance(data, pd.DataFrame) and {"item", "worker", "label"} <= set(data.columns):
        table = _latest(data, owner)
        order = _ordered_classes(table["label"].to_numpy(), classes, owner)
        codes = pd.Index(order).get_indexer(table["label"]).astype(np.float64)
        items = pd.factorize(table["item"])[0]
        workers = pd.factorize(table["worker"])[0]
        R = np.full((workers.max() + 1, items.max() + 1), np.nan)
        R[workers, items] = codes
        return R, order
    arr = np.asarray(data, dtype=object)
    if arr.ndim != 2:
        raise InputError(
            f"{owner} needs an answers table (item, worker, label) or a reliability matrix of "
            f"shape (n_annotators, n_items) with NaN for missing answers. Got shape {arr.shape}."
        )
    missing = _missing(arr)
    present = arr[~missing]
    order = _ordered_classes(present, classes, owner)
    R = np.full(arr.shape, np.nan)
    R[~missing] = pd.Index(order).get_indexer(present)
    return R, order


def krippendorff_alpha(
    data: Any,
    *,
    level: str = "nominal",
    classes: Sequence[Hashable] | None = None,
) -> float:
    """Krippendorff's alpha: agreement beyond chance, missing answers allowed.

    Equal to the ``krippendorff`` package's ``alpha(reliability_data, value_domain=classes,
    level_of_measurement=level)``. Units with fewer than two answers are left out.

    Parameters
    ----------
    data : answers DataFrame (``item``, ``worker``, ``label``) or (n_annotators, n_items)
        reliability matrix with None/NaN for missing answers.
    level : {"nominal", "ordinal", "interval"}, default="nominal"
        ``"ordinal"`` ranks the labels by their order in ``classes`` (or sorted);
        ``"interval"`` uses the labels' numeric values.
    classes : sequence or None, default=None
        Order of the labels (every value that occurs must be in it). For ``"interval"``
        the values themselves are used, so they must be numbers.

    Returns
    -------
    float; NaN when there is nothing to compare (fewer than two pairable answers or a
    single value).

    Raises
    ------
    InputError
        Malformed data, a label outside ``classes``, or non-numeric labels with
        ``level="interval"``.
    ConfigError
        Unknown ``level``.

    Examples
    --------
    >>> R = [[1, 2, 3, 3], [1, 2, 3, 4], [None, 2, 3, 3]]
    >>> round(krippendorff_alpha(R, level="nominal"), 4)
    0.7561
    """
    check_choice(level, "level", "krippendorff_alpha", LEVELS)
    R, order = _reliability_matrix(data, "krippendorff_alpha", classes)
    v = len(order)
    if v < 2:
        return float("nan")
    pairable = (~np.isnan(R)).sum(axis=0)
    R = R[:, pairable >= 2]
    if R.shape[1] == 0:
        return float("nan")
    # value counts per unit, then the coincidence matrix
    counts = np.zeros((R.shape[1], v))
    cols = np.nonzero(~np.isnan(R))
    np.add.at(counts, (cols[1], R[cols].astype(np.int64)), 1.0)
    m_u = counts.sum(axis=1)
    scaled = counts / (m_u - 1.0)[:, None]
    # o[c, d] = sum over units of pairs (c, d) from distinct coders / (m_u - 1)
    coincidence = np.einsum("uc,ud->cd", counts, scaled) - np.diag(scaled.sum(axis=0))
    n_c = coincidence.sum(axis=1)
    n = n_c.sum()
    if level == "nominal":
        delta = 1.0 - np.eye(v)
    elif level == "ordinal":
        cum = np.concatenate([[0.0], np.cumsum(n_c)])
        lo = np.minimum.outer(np.arange(v), np.arange(v))
        hi = np.maximum.outer(np.arange(v), np.arange(v))
        delta = (cum[hi + 1] - cum[lo] - (n_c[lo] + n_c[hi]) / 2.0) ** 2
    else:
        try:
            values = np.asarray(order, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError(
                "krippendorff_alpha with level='interval' needs numeric labels. Got "
                f"{order[:5]!r}; use level='ordinal' for ordered categories."
            ) from None
        delta = (values[:, None] - values[None, :]) ** 2
    d_obs = float((coincidence * delta).sum())
    d_exp = float((np.outer(n_c, n_c) * delta).sum())
    if d_exp == 0.0:
        return float("nan")
    return float(1.0 - (n - 1.0) * d_obs / d_exp)


def pairwise_agreement(
    answers: Any, *, min_shared: int = 1, classes: Sequence[Hashable] | None = None
) -> pd.DataFrame:
    """Agreement and Cohen's kappa of every pair of workers on the items both answered.

    Parameters
    ----------
    answers : DataFrame with columns ``item``, ``worker``, ``label``
        A worker's last answer on an item counts.
    min_shared : int, default=1
        Pairs sharing fewer items are left out.
    classes : sequence or None
        Class order for the kappa (sorted labels when None).

    Returns
    -------
    pandas.DataFrame with columns ``worker_a``, ``worker_b``, ``n_shared``,
    ``agreement`` (share of shared items with the same label) and ``kappa``; one row per
    pair, ``worker_a`` before ``worker_b`` in order of first appearance.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"item": [1, 1, 2, 2], "worker": ["a", "b", "a", "b"],
    ...                    "label": ["x", "x", "x", "y"]})
    >>> pairwise_agreement(df)[["worker_a", "worker_b", "n_shared", "agreement"]]
      worker_a worker_b  n_shared  agreement
    0        a        b         2        0.5
    """
    min_shared = check_positive(min_shared, "min_shared", "pairwise_agreement", integer=True)
    table = _latest(answers, "pairwise_agreement")
    order = _ordered_classes(table["label"].to_numpy(), classes, "pairwise_agreement")
    by_worker = {
        w: dict(zip(g["item"], g["label"], strict=True))
        for w, g in table.groupby("worker", sort=False)
    }
    rows = []
    for u, v in itertools.combinations(list(by_worker), 2):
        shared = [i for i in by_worker[u] if i in by_worker[v]]
        if len(shared) < min_shared:
            continue
        a = [by_worker[u][i] for i in shared]
        b = [by_worker[v][i] for i in shared]
        rows.append(
            {
                "worker_a": u,
                "worker_b": v,
                "n_shared": len(shared),
                "agreement": float(np.mean([x == y for x, y in zip(a, b, strict=True)])),
                "kappa": cohen_kappa(a, b, classes=order),
            }
        )
    columns = ["worker_a", "worker_b", "n_shared", "agreement", "kappa"]
    return pd.DataFrame(rows, columns=columns)


def item_agreement(answers: Any) -> pd.DataFrame:
    """How much the answers on each item agree.

    Parameters
    ----------
    answers : DataFrame with columns ``item``, ``worker``, ``label``
        A worker's last answer on an item counts.

    Returns
    -------
    pandas.DataFrame, one row per item in order of first appearance, columns ``item``,
    ``n_answers``, ``majority_label`` (ties: the label given first), ``majority_share``
    and ``agreement`` (share of answer pairs that agree; NaN with a single answer).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"item": [1, 1, 1, 2], "worker": ["a", "b", "c", "a"],
    ...                    "label": ["x", "x", "y", "y"]})
    >>> item_agreement(df)
       item  n_answers majority_label  majority_share  agreement
    0     1          3              x        0.666667   0.333333
    1     2          1              y        1.000000        NaN
    """
    table = _latest(answers, "item_agreement")
    counts = table.groupby(["item", "label"], sort=False).size().rename("n").reset_index()
    n_item = counts.groupby("item", sort=False)["n"].transform("sum")
    top = counts.loc[counts.groupby("item", sort=False)["n"].idxmax()].set_index("item")
    sq = (counts["n"] ** 2).groupby(counts["item"], sort=False).sum()
    total = n_item.groupby(counts["item"], sort=False).first()
    with np.errstate(invalid="ignore", divide="ignore"):
        agree = (sq - total) / (total * (total - 1.0))
    items = pd.unique(table["item"])
    out = pd.DataFrame(
        {
            "item": items,
            "n_answers": total.reindex(items).to_numpy().astype(np.int64),
            "majority_label": top["label"].reindex(items).to_numpy(),
            "majority_share": (top["n"] / total).reindex(items).to_numpy(),
            "agreement": agree.reindex(items).to_numpy(),
        }
    )
    out.loc[out["n_answers"] < 2, "agreement"] = np.nan
    return out
