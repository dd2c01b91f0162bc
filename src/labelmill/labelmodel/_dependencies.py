"""Source dependencies learned from the votes: duplicated sources and refinements.

Label models assume that sources err independently given the true class. Two kinds of
dependency break that assumption badly in practice and are visible without any gold:

- *duplicates*: two sources that cast exactly the same votes (a rule registered twice);
  they are merged into one.
- *refinements*: source ``b`` (e.g. "question starts with 'what is the name of'")
  fires almost only where a more general source ``a`` ("question starts with 'what'")
  fires too. Where both fire, ``a``'s vote adds no independent evidence: ``b`` already
  knows everything ``a`` knows, and more. Such votes of ``a`` are dropped (the "fixing"
  and "reinforcing" dependencies of Ratner et al., NeurIPS 2016, decided from the
  co-firing statistics alone).
"""

from __future__ import annotations

import hashlib

import numpy as np
import scipy.sparse as sp

from labelmill.labelmodel._validation import VoteMatrix

__all__ = ["duplicate_groups", "learn_refinements", "drop_refined_votes", "subset_sources"]


def duplicate_groups(V: VoteMatrix) -> np.ndarray:
    """For each source, the index of the first source that cast exactly the same votes."""
    XT = V.XT
    k = V.k
    rep = np.arange(V.n_sources)
    seen: dict[str, int] = {}
    for j in range(V.n_sources):
        h = hashlib.blake2b(digest_size=16)
        for c in range(k):
            row = j * k + c
            h.update(XT.indices[XT.indptr[row] : XT.indptr[row + 1]].tobytes())
            h.update(b"|")
        key = h.hexdigest()
        if key in seen:
            rep[j] = seen[key]
        else:
            seen[key] = j
    return rep


def subset_sources(V: VoteMatrix, keep: np.ndarray) -> VoteMatrix:
    """The votes of the sources ``keep`` only (in that order)."""
    cols = (keep[:, None] * V.k + np.arange(V.k)[None, :]).ravel()
    X = V.X[:, cols].tocsr()
    return VoteMatrix(X, V.n_items, len(keep), V.k)


def _fires(V: VoteMatrix) -> sp.csr_matrix:
    """``(n_items, n_sources)`` 0/1 matrix: the source voted on the item."""
    fold = sp.csr_matrix(
        (
            np.ones(V.n_sources * V.k),
            (np.arange(V.n_sources * V.k), np.repeat(np.arange(V.n_sources), V.k)),
        ),
        shape=(V.n_sources * V.k, V.n_sources),
    )
    F = (V.X @ fold).tocsr()
    F.data[:] = 1.0
    return F


def learn_refinements(
    V: VoteMatrix,
    candidates: np.ndarray,
    *,
    threshold: float = 0.95,
    min_votes: int = 5,
) -> np.ndarray:
    """Pairs ``(general, specific)``: where ``specific`` fires, ``general`` fires too.

    Parameters
    ----------
    V : VoteMatrix
    candidates : (n_sources,) bool array
        Sources that may take part (labeling functions, whose firing is informative;
        not crowd workers, who answer what they are assigned).
    threshold : float, default=0.95
        ``P(general fires | specific fires)`` needed.
    min_votes : int, default=5
        Votes the specific source needs for the estimate to count.

    Returns
    -------
    pairs : (n_pairs, 2) int array of ``(general, specific)``; the general source fires
        on strictly more items than the specific one.

    Examples
    --------
    >>> import numpy as np
    >>> from labelmill.labelmodel._validation import check_label_matrix
    >>> L = np.array([[0, 1]] * 6 + [[0, -1]] * 6 + [[-1, -1]] * 3)
    >>> learn_refinements(check_label_matrix(L, 2), np.array([True, True])).tolist()
    [[0, 1]]
    """
    idx = np.flatnonzero(candidates)
    if idx.size < 2:
        return np.zeros((0, 2), dtype=np.int64)
    F = _fires(V)[:, idx]
    count = np.asarray(F.sum(axis=0)).ravel()
    co = np.asarray((F.T @ F).todense())
    with np.errstate(invalid="ignore", divide="ignore"):
        cond = co / count[None, :]  # cond[a, b] = P(a fires | b fires)
    edge = (cond >= threshold) & (count[None, :] >= min_votes) & (count[:, None] > count[None, :])
    np.fill_diagonal(edge, False)
    general, specific = np.nonzero(edge)
    return np.column_stack([idx[general], idx[specific]]).astype(np.int64)


def drop_refined_votes(V: VoteMatrix, pairs: np.ndarray) -> VoteMatrix:
    """Remove the general source's vote wherever one of its refinements voted too."""
    if len(pairs) == 0:
        return V
    m = V.n_sources
    F = _fires(V)
    E = sp.csr_matrix(
        (np.ones(len(pairs)), (pairs[:, 1], pairs[:, 0])), shape=(m, m)
    )  # specific -> general
    H = (F @ E).multiply(F).tocoo()  # (item, general) where a refinement fired too
    if H.nnz == 0:
        return V
    drop_keys = H.row.astype(np.int64) * m + H.col.astype(np.int64)
    items, sources, labels, weights = V.answers()
    keep = ~np.isin(items * m + sources, drop_keys)
    return VoteMatrix.from_answers(
        items[keep],
        sources[keep],
        labels[keep],
        weights[keep],
        n_items=V.n_items,
        n_sources=m,
        k=V.k,
    )
