"""Summary statistics of labeling functions over a vote matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from labelmill.exceptions import InputError
from labelmill.labelmodel._validation import check_label_matrix

__all__ = ["analyze_lfs"]


def analyze_lfs(
    L: Any,
    y: Any = None,
    *,
    lf_names: Sequence[str] | None = None,
    label_model: Any = None,
) -> pd.DataFrame:
    """Polarity, coverage, overlaps and conflicts of each labeling function.

    Parameters
    ----------
    L : (n_items, n_lfs) int array, -1 = abstain
    y : (n_items,) int array or None
        Gold labels (-1 = unknown); adds ``correct``, ``incorrect``, ``empirical_accuracy``
        computed on the items with gold.
    lf_names : sequence of str, optional
        Row labels; defaults to ``L.lf_names`` when ``L`` came from apply_lfs, else
        ``lf_0, lf_1, ...``.
    label_model : fitted label model, optional
        Anything with ``source_accuracies()``; adds ``estimated_accuracy``.

    Returns
    -------
    pandas.DataFrame, one row per labeling function, columns: ``polarity`` (sorted list
    of classes voted), ``coverage``, ``overlaps`` (fraction of items where it and another
    LF voted), ``conflicts`` (... and another LF voted a different class), then the
    optional columns above.

    Raises
    ------
    InputError
        ``L`` is invalid, or ``y`` / ``lf_names`` / the label model do not match it.

    Examples
    --------
    >>> import numpy as np
    >>> L = np.array([[0, 0], [1, -1], [-1, 0]])
    >>> analyze_lfs(L)["coverage"].round(2).tolist()
    [0.67, 0.67]
    """
    V = check_label_matrix(L, None, owner="analyze_lfs")
    n, m, k = V.n_items, V.n_sources, V.k
    if lf_names is None:
        lf_names = list(getattr(L, "lf_names", []) or [f"lf_{j}" for j in range(m)])
    lf_names = list(lf_names)
    if len(lf_names) != m:
        raise InputError(
            f"analyze_lfs got {len(lf_names)} lf_names for {m} columns of L; pass one name "
            "per column."
        )
    votes = V.source_votes()  # (m, k)
    voted = votes.sum(axis=1)
    denom = max(n, 1)
    counts = V.class_counts()  # (n, k): votes per class per item
    n_voting = counts.sum(axis=1)  # (n,)
    fired = V.X.copy()
    # per LF: items where it voted and another LF voted too
    other_any = (n_voting >= 2).astype(np.float64)
    overlaps = np.asarray(V.XT @ other_any).reshape(m, k).sum(axis=1)
    # conflicts: some other LF voted a class different from this LF's vote on the item
    XT = V.XT
    conflicts = np.zeros(m)
    for j in range(m):
        for c in range(k):
            rows = XT.indices[XT.indptr[j * k + c] : XT.indptr[j * k + c + 1]]
            if rows.size:
                conflicts[j] += np.count_nonzero(n_voting[rows] - counts[rows, c] > 0)
    del fired
    table = pd.DataFrame(
        {
            "polarity": [sorted(np.flatnonzero(votes[j]).tolist()) for j in range(m)],
            "coverage": voted / denom,
            "overlaps": overlaps / denom,
            "conflicts": conflicts / denom,
        },
        index=pd.Index(lf_names, name="lf"),
    )
    if y is not None:
        gold = np.asarray(y)
        if gold.shape != (n,) or gold.dtype.kind not in "iu":
            raise InputError(
                f"y passed to analyze_lfs must be a 1-D int array with one entry per row of L "
                f"({n}); -1 = unknown. Got shape {gold.shape}, dtype {gold.dtype}."
            )
        known = gold >= 0
        onehot = np.zeros((n, k))
        onehot[np.flatnonzero(known), np.clip(gold[known], 0, k - 1)] = 1.0
        right = np.asarray(V.XT @ onehot).reshape(m, k, k)
        correct = np.einsum("jcc->j", right)
        judged = np.asarray(V.XT @ known.astype(np.float64)).reshape(m, k).sum(axis=1)
        table["correct"] = correct.astype(int)
        table["incorrect"] = (judged - correct).astype(int)
        with np.errstate(invalid="ignore", divide="ignore"):
            table["empirical_accuracy"] = correct / judged
    if label_model is not None:
        if not hasattr(label_model, "source_accuracies"):
            raise InputError(
                "label_model passed to analyze_lfs must have a source_accuracies() method "
                f"(a fitted labelmill label model). Got {type(label_model).__name__}."
            )
        est = np.asarray(label_model.source_accuracies(), dtype=np.float64)
        if est.shape != (m,):
            raise InputError(
                f"label_model passed to analyze_lfs was fitted on {est.shape[0]} sources but L "
                f"has {m} columns."
            )
        table["estimated_accuracy"] = est
    return table
