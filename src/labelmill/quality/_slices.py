"""Error analysis by slices: where are the labels wrong most often?

A *slice* is a set of items sharing a value: a rule that fired (or voted a class), a
metadata value, an embedding cluster. :func:`analyze_slices` takes the audited items'
correctness and any number of slice columns and returns every (column, value) with its
accuracy, an exact interval, and a test of "worse than the rest", worst first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.stats import fisher_exact

from labelmill.exceptions import InputError
from labelmill.quality._intervals import exact_interval
from labelmill.utils._validation import check_positive, check_random_state, check_unit_interval

__all__ = ["SLICE_COLUMNS", "analyze_slices", "cluster_slices", "rule_slices"]

#: Columns of the table :func:`analyze_slices` returns.
SLICE_COLUMNS = [
    "slice",
    "value",
    "n",
    "n_errors",
    "accuracy",
    "lower",
    "upper",
    "error_share",
    "error_lift",
    "p_value",
    "p_adjusted",
    "worse_than_rest",
]


def _as_correct(correct: Any, owner: str) -> NDArray[np.bool_]:
    ok = np.asarray(correct)
    if ok.ndim != 1 or ok.size == 0:
        raise InputError(
            f"{owner} expects correct as a non-empty 1-D bool array, one per audited item. "
            f"Got shape {ok.shape} instead."
        )
    if ok.dtype != np.bool_:
        if ok.dtype.kind not in "iuf" or not np.all(np.isin(ok, (0, 1))):
            raise InputError(f"{owner} expects correct as booleans (or 0/1). Got other values.")
        ok = ok.astype(bool)
    return ok


def analyze_slices(
    correct: Any,
    slices: Any,
    *,
    confidence: float = 0.95,
    alpha: float = 0.05,
    min_size: int = 5,
    max_values: int = 50,
) -> pd.DataFrame:
    """Accuracy of every slice of the audited items, worst first, with intervals.

    Each slice is compared with the rest of the audited items by a one-sided Fisher exact
    test (more errors inside than outside); p-values are adjusted over all slices tested
    by the Benjamini-Hochberg procedure, so among slices marked ``worse_than_rest`` the
    expected share of false alarms is at most ``alpha``.

    Parameters
    ----------
    correct : (n_audit,) bool array
        Was each audited item's label right?
    slices : DataFrame or dict of str to (n_audit,) array
        One column per way of slicing (e.g. ``rule:kw_free`` with the class it voted or
        ``"abstain"``, ``meta:source``, ``cluster``); missing values (None/NaN) are left
        out of that column's slices.
    confidence : float, default=0.95
        Level of each slice's exact interval.
    alpha : float, default=0.05
        False discovery rate of ``worse_than_rest``.
    min_size : int, default=5
        Slices with fewer audited items are listed with their interval but not tested.
    max_values : int, default=50
        Per column, at most the ``max_values`` most frequent values are kept (a column
        of ids would otherwise make one slice per item).

    Returns
    -------
    DataFrame
        Columns :data:`SLICE_COLUMNS`; ``error_share``: share of all audited errors in
        the slice; ``error_lift``: its error rate over the overall error rate. Sorted by
        the upper bound of accuracy, then accuracy (surely-bad slices first).

    Raises
    ------
    ConfigError
        A parameter out of range.
    InputError
        ``correct`` empty or not boolean, or a slice column of the wrong length.

    Examples
    --------
    >>> t = analyze_slices([1, 1, 1, 1, 0, 0, 0, 1], {"source": list("aaaabbbb")}, min_size=2)
    >>> t[["slice", "value", "n", "accuracy"]].values.tolist()
    [['source', 'b', 4, 0.25], ['source', 'a', 4, 1.0]]
    """
    owner = "analyze_slices"
    confidence = check_unit_interval(confidence, "confidence", owner)
    alpha = check_unit_interval(alpha, "alpha", owner)
    min_size = check_positive(min_size, "min_size", owner, integer=True)
    max_values = check_positive(max_values, "max_values", owner, integer=True)
    ok = _as_correct(correct, owner)
    n = ok.size
    frame = slices if isinstance(slices, pd.DataFrame) else pd.DataFrame(dict(slices))
    if len(frame) != n:
        raise InputError(
            f"{owner} expects every slice column to have {n} values, one per audited item. "
            f"Got {len(frame)} instead."
        )
    errors = ~ok
    total_errors = int(errors.sum())
    overall_error = total_errors / n
    rows = []
    for column in frame.columns:
        values = frame[column].reset_index(drop=True)
        present = values.notna().to_numpy()
        keys = values[present].astype(str)
        top = keys.value_counts().head(max_values).index
        for value in top:
            member = np.zeros(n, dtype=bool)
            member[np.flatnonzero(present)[(keys == value).to_numpy()]] = True
            size, bad = int(member.sum()), int(errors[member].sum())
            rest, rest_bad = n - size, total_errors - bad
            if size >= min_size and rest > 0:
                p = float(
                    fisher_exact([[bad, size - bad], [rest_bad, rest - rest_bad]], "greater")[1]
                )
            else:
                p = float("nan")
            rows.append((str(column), value, size, bad, p))
    pvals = np.array([r[4] for r in rows], dtype=np.float64)
    adjusted = _benjamini_hochberg(pvals)
    sizes = np.array([r[2] for r in rows], dtype=np.int64)
    bads = np.array([r[3] for r in rows], dtype=np.int64)
    lo, hi = exact_interval(sizes - bads, sizes, confidence=confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = (sizes - bads) / np.maximum(sizes, 1)
        share = bads / total_errors if total_errors else np.zeros(len(rows))
        lift = (
            (bads / np.maximum(sizes, 1)) / overall_error if overall_error else np.ones(len(rows))
        )
    table = pd.DataFrame(
        {
            "slice": [r[0] for r in rows],
            "value": [r[1] for r in rows],
            "n": sizes,
            "n_errors": bads,
            "accuracy": acc,
            "lower": lo,
            "upper": hi,
            "error_share": share,
            "error_lift": lift,
            "p_value": pvals,
            "p_adjusted": adjusted,
            "worse_than_rest": np.nan_to_num(adjusted, nan=1.0) < alpha,
        },
        columns=SLICE_COLUMNS,
    )
    return table.sort_values(["upper", "accuracy", "n"], ascending=[True, True, False]).reset_index(
        drop=True
    )


def _benjamini_hochberg(p: NDArray[np.float64]) -> NDArray[np.float64]:
    out = np.full(p.shape, np.nan)
    tested = np.flatnonzero(np.isfinite(p))
    if tested.size == 0:
        return out
    order = tested[np.argsort(p[tested], kind="stable")]
    m = order.size
    scaled = p[order] * m / np.arange(1, m + 1)
    out[order] = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    return out


def rule_slices(L: Any, *, rule_names: Any = None, class_names: Any = None) -> pd.DataFrame:
    """Slice columns from rule votes: per rule, the class it voted or ``"abstain"``.

    Parameters
    ----------
    L : (n_items, n_rules) int array, -1 = abstain
    rule_names, class_names : sequences of str, optional

    Returns
    -------
    DataFrame
        Columns ``rule:<name>`` for :func:`analyze_slices`.

    Raises
    ------
    InputError
        ``L`` not a 2-D int array or wrong number of ``rule_names``.

    Examples
    --------
    >>> t = rule_slices([[0, -1], [1, 1]], rule_names=["a", "b"], class_names=["x", "y"])
    >>> t.columns.tolist(), t.values.tolist()
    (['rule:a', 'rule:b'], [['x', 'abstain'], ['y', 'y']])
    """
    V = np.asarray(L)
    if V.ndim != 2 or (V.size and (V.dtype.kind not in "iu" or V.min() < -1)):
        raise InputError(
            f"rule_slices expects L as a 2-D int array with -1 = abstain. Got shape {V.shape}, "
            f"dtype {V.dtype} instead."
        )
    names = [f"rule_{j}" for j in range(V.shape[1])] if rule_names is None else list(rule_names)
    if len(names) != V.shape[1]:
        raise InputError(f"rule_slices expects {V.shape[1]} rule_names. Got {len(names)} instead.")
    k = int(V.max(initial=-1)) + 1
    cls = [str(c) for c in range(k)] if class_names is None else [str(c) for c in class_names]
    if len(cls) < k:
        raise InputError(f"rule_slices expects at least {k} class_names. Got {len(cls)} instead.")
    lookup = np.array(["abstain", *cls], dtype=object)
    return pd.DataFrame({f"rule:{name}": lookup[V[:, j] + 1] for j, name in enumerate(names)})


def cluster_slices(
    embeddings: Any, *, n_clusters: int = 10, random_state: Any = 0, max_fit: int = 20_000
) -> NDArray[np.int64]:
    """Cluster ids of items in the embedding space (k-means), as a slice column.

    Fit on all items (a seeded sample of ``max_fit`` when there are more), then pass the
    ids of the audited items to :func:`analyze_slices`.

    Parameters
    ----------
    embeddings : (n_items, d) float array
    n_clusters : int, default=10
    random_state : int, Generator or None, default=0
    max_fit : int, default=20000

    Returns
    -------
    (n_items,) int array

    Raises
    ------
    InputError
        ``embeddings`` not a finite 2-D array with at least ``n_clusters`` rows.

    Examples
    --------
    >>> import numpy as np
    >>> E = np.r_[np.zeros((5, 2)), np.ones((5, 2)) * 10]
    >>> ids = cluster_slices(E, n_clusters=2)
    >>> len(set(ids[:5].tolist())), bool(ids[0] != ids[9])
    (1, True)
    """
    from sklearn.cluster import KMeans

    n_clusters = check_positive(n_clusters, "n_clusters", "cluster_slices", integer=True)
    max_fit = check_positive(max_fit, "max_fit", "cluster_slices", integer=True)
    E = np.asarray(embeddings, dtype=np.float64)
    if E.ndim != 2 or E.shape[0] < n_clusters or not np.all(np.isfinite(E)):
        raise InputError(
            f"cluster_slices expects finite embeddings (n_items >= n_clusters={n_clusters}, d). "
            f"Got shape {E.shape} instead (or non-finite values)."
        )
    rng = check_random_state(random_state, owner="cluster_slices")
    seed = int(rng.integers(2**31 - 1))
    fit_on = E if E.shape[0] <= max_fit else E[rng.choice(E.shape[0], max_fit, replace=False)]
    model = KMeans(n_clusters=n_clusters, n_init=3, random_state=seed).fit(fit_on)
    return np.asarray(model.predict(E), dtype=np.int64)
