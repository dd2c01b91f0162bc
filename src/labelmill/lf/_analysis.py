"""Summary statistics of labeling functions over a vote matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from labelmill.exceptions import InputError
from labelmill.labelmodel import check_label_matrix

__all__ = ["LFAnalysis", "analyze_lfs"]


def analyze_lfs(
    L: Any,
    y: Any = None,
    *,
    lf_names: Sequence[str] | None = None,
    label_model: Any = None,
    lfs: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Polarity, coverage, overlaps and conflicts of each labeling function.

    Parameters
    ----------
    L : (n_items, n_lfs) int array, -1 = abstain
    y : (n_items,) int array or None
        Gold labels (-1 = unknown); adds ``correct``, ``incorrect``, ``empirical_accuracy``
        computed on the items with gold. A sequence of labeling functions here is taken
        as ``lfs`` (Snorkel's ``LFAnalysis(L, lfs)`` order).
    lf_names : sequence of str, optional
        Row labels; defaults to the names of ``lfs``, or ``L.lf_names`` when ``L`` came
        from apply_lfs, else ``lf_0, lf_1, ...``.
    label_model : fitted label model, optional
        Anything with ``source_accuracies()``; adds ``estimated_accuracy``.
    lfs : sequence of labeling functions or rules, optional
        The functions that made ``L`` (one per column); their names label the rows.

    Returns
    -------
    pandas.DataFrame, one row per labeling function, columns: ``polarity`` (sorted list
    of classes voted), ``coverage``, ``overlaps`` (fraction of items where it and another
    LF voted), ``conflicts`` (... and another LF voted a different class), then the
    optional columns above.

    Raises
    ------
    InputError
        ``L`` is invalid, or ``y`` / ``lf_names`` / ``lfs`` / the label model do not match
        it.

    Examples
    --------
    >>> import numpy as np
    >>> L = np.array([[0, 0], [1, -1], [-1, 0]])
    >>> analyze_lfs(L)["coverage"].round(2).tolist()
    [0.67, 0.67]
    """
    if lfs is None and _is_lf_list(y):
        y, lfs = None, y
    V = check_label_matrix(L, None, owner="analyze_lfs")
    n, m, k = V.n_items, V.n_sources, V.k
    if lfs is not None:
        names = [str(getattr(f, "name", None) or getattr(f, "__name__", "")) for f in lfs]
        if len(names) != m:
            raise InputError(
                f"analyze_lfs got {len(names)} labeling functions for {m} columns of L; pass "
                "the functions that made L, in the order of its columns."
            )
        if lf_names is not None and list(lf_names) != names:
            raise InputError(
                "analyze_lfs got both lfs and lf_names, and they disagree; pass one of them."
            )
        lf_names = names
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


def _is_lf_list(y: Any) -> bool:
    """True when ``y`` is a list of labeling functions or rules, not gold labels."""
    if y is None or isinstance(y, (np.ndarray, pd.Series, str)):
        return False
    try:
        items = list(y)
    except TypeError:
        return False
    return bool(items) and all(callable(f) or hasattr(f, "definition") for f in items)


# Snorkel's lf_summary column names for labelmill's own (LFAnalysis only).
SNORKEL_COLUMNS = {
    "polarity": "Polarity",
    "coverage": "Coverage",
    "overlaps": "Overlaps",
    "conflicts": "Conflicts",
    "correct": "Correct",
    "incorrect": "Incorrect",
    "empirical_accuracy": "Emp. Acc.",
}


class LFAnalysis:
    """Snorkel's ``LFAnalysis``, over :func:`analyze_lfs`.

    ``LFAnalysis(L, lfs).lf_summary(Y)`` is ``analyze_lfs(L, Y, lfs=lfs)`` with Snorkel's
    column names (``j``, ``Polarity``, ``Coverage``, ``Overlaps``, ``Conflicts``,
    ``Correct``, ``Incorrect``, ``Emp. Acc.``, ``Learned Weight``) and index (the
    function names, or ``0..m-1`` without ``lfs``). labelmill's own name for every
    column is the lower-case one :func:`analyze_lfs` returns.

    One difference: a gold label of ``-1`` in ``Y`` means "unknown" here and is left out
    of ``Emp. Acc.`` (Snorkel counts such items as wrong); with fully labeled ``Y`` the
    numbers are Snorkel's.

    Parameters
    ----------
    L : (n_items, n_lfs) int array, -1 = abstain
    lfs : sequence of labeling functions, optional
        The functions that made ``L``, one per column.

    Raises
    ------
    InputError
        ``L`` is not a label matrix, or ``lfs`` does not have one function per column.

    Examples
    --------
    >>> import numpy as np
    >>> L = np.array([[-1, 0, 0], [-1, -1, -1], [1, 0, -1], [-1, 0, -1], [0, 0, 0]])
    >>> LFAnalysis(L).lf_summary()["Coverage"].tolist()
    [0.4, 0.8, 0.4]
    >>> round(LFAnalysis(L).label_coverage(), 2)
    0.8
    """

    def __init__(self, L: Any, lfs: Sequence[Any] | None = None) -> None:
        check_label_matrix(L, None, owner="LFAnalysis")
        self.L = np.asarray(L)
        self._lfs = None if lfs is None else list(lfs)
        if self._lfs is not None and len(self._lfs) != self.L.shape[1]:
            raise InputError(
                f"LFAnalysis got {len(self._lfs)} labeling functions for {self.L.shape[1]} "
                "columns of L; pass the functions that made L, in the order of its columns."
            )

    def _table(self, Y: Any = None) -> pd.DataFrame:
        m = self.L.shape[1]
        gold = None if Y is None else _int_labels(Y, self.L.shape[0])
        if self._lfs is not None:
            return analyze_lfs(self.L, gold, lfs=self._lfs)
        return analyze_lfs(self.L, gold, lf_names=[f"lf_{j}" for j in range(m)])

    def lf_summary(self, Y: Any = None, est_weights: Any = None) -> pd.DataFrame:
        """Per-function statistics with Snorkel's column names.

        Parameters
        ----------
        Y : (n_items,) or (n_items, 1) int array, optional
            Gold labels; adds ``Correct``, ``Incorrect`` and ``Emp. Acc.``.
        est_weights : (n_lfs,) array, optional
            Adds ``Learned Weight``.

        Returns
        -------
        pandas.DataFrame
        """
        t = self._table(Y)
        m = self.L.shape[1]
        index: list[Any] = list(t.index) if self._lfs is not None else list(range(m))
        out = pd.DataFrame(index=index)
        if self._lfs is not None:
            out["j"] = list(range(m))
        for ours, theirs in SNORKEL_COLUMNS.items():
            if ours in t:
                values = t[ours].to_numpy()
                if ours == "empirical_accuracy":
                    values = np.nan_to_num(values.astype(np.float64))
                out[theirs] = values
        if est_weights is not None:
            out["Learned Weight"] = np.asarray(est_weights)
        return out

    def label_coverage(self) -> float:
        """Fraction of items with at least one vote."""
        return float(np.mean((self.L != -1).any(axis=1))) if self.L.size else 0.0

    def label_overlap(self) -> float:
        """Fraction of items with at least two votes."""
        return float(np.mean((self.L != -1).sum(axis=1) > 1)) if self.L.size else 0.0

    def label_conflict(self) -> float:
        """Fraction of items whose votes disagree."""
        if not self.L.size:
            return 0.0
        voted = self.L != -1
        high = np.where(voted, self.L, -1).max(axis=1)
        low = np.where(voted, self.L, np.iinfo(np.int64).max).min(axis=1)
        return float(np.mean(voted.any(axis=1) & (high != low)))

    def lf_polarities(self) -> list[list[int]]:
        """Sorted classes each function voted."""
        return [list(p) for p in self._table()["polarity"]]

    def lf_coverages(self) -> np.ndarray:
        """Fraction of items each function voted on (``coverage``)."""
        return self._table()["coverage"].to_numpy()

    def lf_overlaps(self, normalize_by_coverage: bool = False) -> np.ndarray:
        """Fraction of items each function voted on with another voting too (``overlaps``)."""
        t = self._table()
        out = t["overlaps"].to_numpy()
        if normalize_by_coverage:
            with np.errstate(invalid="ignore", divide="ignore"):
                out = out / t["coverage"].to_numpy()
        return np.nan_to_num(out)

    def lf_conflicts(self, normalize_by_overlaps: bool = False) -> np.ndarray:
        """Fraction of items each function voted on where another voted otherwise."""
        t = self._table()
        out = t["conflicts"].to_numpy()
        if normalize_by_overlaps:
            with np.errstate(invalid="ignore", divide="ignore"):
                out = out / t["overlaps"].to_numpy()
        return np.nan_to_num(out)

    def lf_empirical_accuracies(self, Y: Any) -> np.ndarray:
        """Per function, the fraction of its votes that equal ``Y`` (0 without votes)."""
        acc = self._table(Y)["empirical_accuracy"].to_numpy(dtype=np.float64)
        return np.nan_to_num(acc)

    def lf_empirical_probs(self, Y: Any, k: int) -> np.ndarray:
        """``P[j, l + 1, c]``: the fraction of items of class ``c`` on which function ``j``
        voted ``l`` (``l = -1``: abstained). Shape ``(n_lfs, k + 1, k)``."""
        gold = _int_labels(Y, self.L.shape[0])
        m = self.L.shape[1]
        P = np.zeros((m, k + 1, k))
        for c in range(k):
            rows = gold == c
            total = rows.sum()
            for j in range(m):
                counts = np.bincount(self.L[rows, j] + 1, minlength=k + 1)[: k + 1]
                with np.errstate(invalid="ignore", divide="ignore"):
                    P[j, :, c] = counts / total
        return P


def _int_labels(Y: Any, n: int) -> np.ndarray:
    """Gold labels as a 1-D int array (an ``(n, 1)`` column and whole floats accepted)."""
    gold = np.asarray(Y)
    if gold.ndim == 2 and gold.shape[1] == 1:
        gold = gold.ravel()
    if gold.dtype.kind == "f" and np.all(np.isfinite(gold)) and np.all(gold == np.round(gold)):
        gold = gold.astype(np.int64)
    if gold.shape != (n,) or gold.dtype.kind not in "iu":
        raise InputError(
            f"Y passed to LFAnalysis must hold one whole-number label per row of L ({n}); "
            f"-1 = unknown. Got shape {gold.shape}, dtype {gold.dtype}."
        )
    return gold
