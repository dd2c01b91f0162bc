"""Validation of label matrices and their conversion to a sparse vote indicator."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from labelmill.exceptions import ConfigError, InputError

__all__ = [
    "CheckedLabels",
    "VoteMatrix",
    "check_cardinality",
    "check_label_matrix",
    "check_not_empty",
    "validate_label_matrix",
]


def check_cardinality(cardinality: Any, owner: str) -> int | None:
    """Validate the ``cardinality`` parameter (``None`` = infer from the data)."""
    if cardinality is None:
        return None
    if isinstance(cardinality, bool) or not isinstance(cardinality, (int, np.integer)):
        raise ConfigError(
            f"The 'cardinality' parameter of {owner} must be an int >= 2 or None. "
            f"Got {cardinality!r} instead."
        )
    if cardinality < 2:
        raise ConfigError(
            f"The 'cardinality' parameter of {owner} must be an int >= 2 or None. "
            f"Got {cardinality} instead."
        )
    return int(cardinality)


class VoteMatrix:
    """A validated label matrix, stored as a sparse indicator of the votes.

    ``X`` is a CSR matrix of shape ``(n_items, n_sources * k)`` with a positive weight at
    column ``j * k + c`` when source ``j`` voted class ``c`` on the item; abstains are
    absent. Weights are 1 for a label matrix; answers merged from one worker's repeated
    or conflicting answers on an item share a total weight of 1 (see
    :meth:`from_answers`). Every label model accepts a ``VoteMatrix`` wherever it accepts
    ``L``.

    Examples
    --------
    >>> V = VoteMatrix.from_answers([0, 0, 1], [0, 1, 1], [1, 0, 1], n_items=2, n_sources=2, k=2)
    >>> V.class_counts().tolist()
    [[1.0, 1.0], [0.0, 1.0]]
    """

    def __init__(self, X: sp.csr_matrix, n_items: int, n_sources: int, k: int) -> None:
        self.X = X
        self.n_items = n_items
        self.n_sources = n_sources
        self.k = k
        self._XT: sp.csr_matrix | None = None
        self._answers: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    @classmethod
    def from_answers(
        cls,
        items: Any,
        sources: Any,
        labels: Any,
        weights: Any = None,
        *,
        n_items: int,
        n_sources: int,
        k: int,
    ) -> VoteMatrix:
        """Build the vote indicator from parallel arrays of integer codes.

        Parameters
        ----------
        items, sources, labels : (n_answers,) int arrays
            Row, source and class (``0..k-1``) of every vote; codes must be in range.
        weights : (n_answers,) float array or None
            Weight of each vote (1 when ``None``). Entries for the same (item, source,
            class) are summed.
        n_items, n_sources, k : int
            Shape of the matrix.

        Returns
        -------
        VoteMatrix
        """
        rows = np.asarray(items, dtype=np.int64)
        cols = np.asarray(sources, dtype=np.int64) * k + np.asarray(labels, dtype=np.int64)
        data = (
            np.ones(rows.shape[0], dtype=np.float64)
            if weights is None
            else np.asarray(weights, dtype=np.float64)
        )
        X = sp.csr_matrix((data, (rows, cols)), shape=(n_items, n_sources * k))
        X.sum_duplicates()
        X.eliminate_zeros()
        return cls(X, n_items, n_sources, k)

    @property
    def XT(self) -> sp.csr_matrix:
        """The transpose as CSR (computed once)."""
        if self._XT is None:
            self._XT = self.X.T.tocsr()
        return self._XT

    def answers(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The votes as parallel arrays ``(items, sources, labels, weights)`` (computed once)."""
        if self._answers is None:
            X = self.X
            items = np.repeat(np.arange(self.n_items, dtype=np.int64), np.diff(X.indptr))
            cols = X.indices.astype(np.int64)
            self._answers = (items, cols // self.k, cols % self.k, X.data.astype(np.float64))
        return self._answers

    def class_counts(self) -> np.ndarray:
        """Per item, the (weighted) votes for each class: ``(n_items, k)`` float array."""
        fold = sp.csr_matrix(np.tile(np.eye(self.k), (self.n_sources, 1)))
        return (
            np.asarray((self.X @ fold).todense())
            if self.n_sources
            else np.zeros((self.n_items, self.k))
        )

    def covered(self) -> np.ndarray:
        """Boolean mask of items on which at least one source voted."""
        result: np.ndarray = np.diff(self.X.indptr) > 0
        return result

    def source_votes(self) -> np.ndarray:
        """``(n_sources, k)`` (weighted) counts of the votes each source cast for each class."""
        counts = np.asarray(self.X.sum(axis=0)).ravel()
        return counts.reshape(self.n_sources, self.k)

    def rows(self, rows: np.ndarray) -> VoteMatrix:
        """The votes of the items ``rows`` only."""
        return VoteMatrix(self.X[rows].tocsr(), len(rows), self.n_sources, self.k)


def _range_and_coverage(arr: np.ndarray) -> tuple[int, int, np.ndarray]:
    """Min, max and the per-row 'any vote' mask in one cache-friendly pass over row blocks."""
    n, m = arr.shape
    covered = np.zeros(n, dtype=bool)
    if arr.size == 0:
        return -1, -1, covered
    lo, hi = 0, -1
    step = max(1, 2**18 // max(m, 1))
    for a in range(0, n, step):
        block = arr[a : a + step]
        row_max = block.max(axis=1)
        covered[a : a + step] = row_max >= 0
        hi = max(hi, int(row_max.max()))
        lo = min(lo, int(block.min()))
    return lo, hi, covered


def _describe_bad(L: np.ndarray, bad: np.ndarray, what: str) -> str:
    rows, cols = np.nonzero(bad)
    r, c = int(rows[0]), int(cols[0])
    value = L[r, c].item()
    return f"{what}; first at row {r}, column {c} (value {value!r}); {int(bad.sum())} such entries"


class CheckedLabels:
    """A validated label matrix, not yet converted: dense int array or sparse COO parts."""

    def __init__(
        self,
        n: int,
        m: int,
        k: int,
        dense: np.ndarray | None,
        sparse: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
        built: VoteMatrix | None = None,
    ) -> None:
        self.n, self.m, self.k = n, m, k
        self.dense = dense
        self.sparse = sparse  # (rows, cols, labels) sorted by row then column
        self.built = built  # a VoteMatrix passed in as it is
        self._covered: np.ndarray | None = None

    def covered(self) -> np.ndarray:
        """Items on which at least one source voted."""
        if self._covered is not None:
            return self._covered
        if self.built is not None:
            return self.built.covered()
        if self.dense is not None:
            return np.asarray((self.dense >= 0).any(axis=1)) if self.m else np.zeros(self.n, bool)
        assert self.sparse is not None
        out = np.zeros(self.n, dtype=bool)
        out[self.sparse[0]] = True
        return out

    def same_column(self, a: int, b: int) -> bool | None:
        """Whether sources ``a`` and ``b`` cast the same votes on every item (None: not
        known without building the matrix, for a VoteMatrix passed in)."""
        if self.dense is not None:
            return bool(np.array_equal(self.dense[:, a], self.dense[:, b]))
        if self.sparse is None:
            return None
        r, c, v = self.sparse
        in_a, in_b = c == a, c == b
        return bool(np.array_equal(r[in_a], r[in_b]) and np.array_equal(v[in_a], v[in_b]))

    def votes(self, rows: np.ndarray | None = None) -> VoteMatrix:
        """The vote indicator of all items, or of ``rows`` (sorted indices) only."""
        n, m, k = self.n, self.m, self.k
        if self.built is not None:
            return self.built if rows is None else self.built.rows(rows)
        idx_dtype = np.int32 if m * k < 2**31 else np.int64
        if self.dense is not None:
            arr = self.dense if rows is None else self.dense[rows]
            if k < 127 and arr.dtype != np.int8:
                arr = arr.astype(np.int8)
            mask = arr >= 0
            flat_pos = np.flatnonzero(mask)
            cols = (flat_pos % max(m, 1)).astype(idx_dtype)
            indices = cols * k + arr.ravel()[flat_pos].astype(idx_dtype)
            n_out = arr.shape[0]
            indptr = np.zeros(n_out + 1, dtype=np.int64)
            np.cumsum(mask.sum(axis=1), out=indptr[1:])
        else:
            assert self.sparse is not None
            r, c, v = self.sparse
            if rows is not None:
                keep = np.isin(r, rows)
                r = np.searchsorted(rows, r[keep])
                c, v = c[keep], v[keep]
                n_out = len(rows)
            else:
                n_out = n
            indptr = np.zeros(n_out + 1, dtype=np.int64)
            np.cumsum(np.bincount(r, minlength=n_out), out=indptr[1:])
            indices = (c.astype(np.int64) * k + v).astype(idx_dtype)
        data = np.ones(indices.shape[0], dtype=np.float64)
        X = sp.csr_matrix((data, indices, indptr), shape=(n_out, m * k))
        return VoteMatrix(X, n_out, m, k)


def check_not_empty(checked: CheckedLabels, owner: str, name: str = "L") -> None:
    """Refuse a label matrix with no items or no sources (nothing to learn from)."""
    if checked.n == 0:
        raise InputError(
            f"{name} passed to {owner}.fit has 0 rows (items); fitting needs at least one "
            "item. Pass the votes of the items to label."
        )
    if checked.m == 0:
        raise InputError(
            f"{name} passed to {owner}.fit has 0 columns (sources); fitting needs at least one "
            "source. Apply some labeling functions or collect some answers first."
        )


def check_label_matrix(
    L: Any,
    cardinality: int | None,
    *,
    owner: str = "the label model",
    name: str = "L",
    n_sources: int | None = None,
) -> VoteMatrix:
    """Validate a label matrix and convert it to a :class:`VoteMatrix`.

    Parameters
    ----------
    L : (n_items, n_sources) int array-like, -1 = abstain; or a scipy.sparse matrix
        storing ``label + 1`` (0 = abstain, the implicit value of sparse storage).
    cardinality : int or None
        Number of classes; ``None`` infers it as ``max(L) + 1`` (at least 2).
    owner : str
        Name used in error messages.
    name : str
        Name of the argument used in error messages.
    n_sources : int or None
        When given, the number of columns ``L`` must have.

    Returns
    -------
    VoteMatrix

    Raises
    ------
    InputError
        If ``L`` is ragged, not 2-D, not integer, or holds a value < -1 or >= cardinality.
    """
    return validate_label_matrix(
        L, cardinality, owner=owner, name=name, n_sources=n_sources
    ).votes()


def validate_label_matrix(
    L: Any,
    cardinality: int | None,
    *,
    owner: str = "the label model",
    name: str = "L",
    n_sources: int | None = None,
) -> CheckedLabels:
    """Validate a label matrix (as :func:`check_label_matrix`) without converting it."""
    if isinstance(L, VoteMatrix):
        if cardinality is not None and L.k != cardinality:
            raise InputError(
                f"{name} passed to {owner} is a VoteMatrix over {L.k} classes, but cardinality "
                f"is {cardinality}. Build the VoteMatrix with k={cardinality} or fix the "
                "cardinality."
            )
        n, m = L.n_items, L.n_sources
        checked = CheckedLabels(n, m, L.k, None, None, built=L)
    elif sp.issparse(L):
        coo = sp.coo_matrix(L)
        coo.sum_duplicates()
        if coo.ndim != 2:
            raise InputError(f"{name} passed to {owner} must be 2-D. Got shape {coo.shape}.")
        data = coo.data
        if data.size and not np.all(np.equal(np.mod(data, 1), 0)):
            i = int(np.nonzero(np.mod(data, 1))[0][0])
            raise InputError(
                f"{name} passed to {owner} must hold integers (label + 1 in sparse form). "
                f"Got {data[i]!r} at row {coo.row[i]}, column {coo.col[i]}."
            )
        data = data.astype(np.int64)
        keep = data != 0
        rows, cols, vals = coo.row[keep], coo.col[keep], data[keep] - 1
        n, m = coo.shape
        if vals.size and vals.min() < 0:
            i = int(np.argmin(vals))
            raise InputError(
                f"{name} passed to {owner} is sparse, so it stores label + 1 with 0 = abstain; "
                f"values must be >= 0. Got {vals[i] + 1} at row {rows[i]}, column {cols[i]}."
            )
        k = (
            cardinality
            if cardinality is not None
            else max(2, int(vals.max()) + 1 if vals.size else 2)
        )
        if vals.size and vals.max() >= k:
            i = int(np.argmax(vals))
            raise InputError(
                f"{name} passed to {owner} holds label {vals[i]} (stored {vals[i] + 1}) at row "
                f"{rows[i]}, column {cols[i]}, but cardinality is {k}: labels must be in "
                f"0..{k - 1}. Pass the right cardinality or fix the matrix."
            )
        order = np.lexsort((cols, rows))
        checked = CheckedLabels(n, m, k, None, (rows[order], cols[order], vals[order]))
    else:
        if (
            isinstance(L, (list, tuple))
            and L
            and any(not hasattr(r, "__len__") or len(r) != len(L[0]) for r in L)
        ):
            lengths = [len(r) if hasattr(r, "__len__") else 1 for r in L]
            bad = next(i for i, n_ in enumerate(lengths) if n_ != lengths[0])
            raise InputError(
                f"{name} passed to {owner} is ragged: row 0 has {lengths[0]} votes but row {bad} "
                f"has {lengths[bad]}. Every row needs one entry per source (-1 = abstain)."
            )
        try:
            arr = np.asarray(L)
        except ValueError as exc:
            raise InputError(
                f"{name} passed to {owner} is ragged or not numeric: {exc}. Every row needs one "
                "entry per source (-1 = abstain)."
            ) from None
        if arr.dtype == object:
            raise InputError(
                f"{name} passed to {owner} must be a rectangular int array; got an object array "
                "(ragged rows or mixed types). Every row needs one entry per source (-1 = abstain)."
            )
        if arr.ndim != 2:
            raise InputError(
                f"{name} passed to {owner} must be 2-D (n_items, n_sources). Got shape {arr.shape}."
            )
        if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
            raise InputError(
                f"{name} passed to {owner} must hold integer class indices (-1 = abstain). "
                f"Got dtype {arr.dtype}."
            )
        if arr.dtype.kind == "f":
            nonint = ~np.isfinite(arr) | (np.mod(np.nan_to_num(arr), 1) != 0)
            if nonint.any():
                raise InputError(
                    _describe_bad(arr, nonint, f"{name} passed to {owner} must hold integers")
                    + ". Use -1 for abstain."
                )
            arr = arr.astype(np.int64)
        n, m = arr.shape
        lo, hi, covered = _range_and_coverage(arr)
        if lo < -1:
            low = arr < -1
            raise InputError(
                _describe_bad(arr, low, f"{name} passed to {owner} holds values below -1")
                + ". Use -1 for abstain and 0..k-1 for classes."
            )
        k = cardinality if cardinality is not None else max(2, hi + 1)
        if hi >= k:
            high = arr >= k
            raise InputError(
                _describe_bad(
                    arr, high, f"{name} passed to {owner} holds labels >= cardinality {k}"
                )
                + f". Labels must be in 0..{k - 1}; pass the right cardinality or fix the matrix."
            )
        checked = CheckedLabels(n, m, k, arr, None)
        checked._covered = covered
    if n_sources is not None and m != n_sources:
        raise InputError(
            f"{name} passed to {owner} has {m} sources (columns) but the model was fitted on "
            f"{n_sources}. Pass a matrix with the same sources in the same order."
        )
    return checked
