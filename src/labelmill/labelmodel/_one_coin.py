"""One-coin Dawid-Skene: one accuracy per source, errors spread evenly over the other classes."""

from __future__ import annotations

from typing import Any

import numpy as np

from labelmill.labelmodel._base import BaseLabelModel
from labelmill.labelmodel._em import (
    class_balance,
    confusion_counts,
    initial_posterior,
    posterior,
    with_abstain_column,
)
from labelmill.labelmodel._validation import VoteMatrix
from labelmill.utils._validation import check_positive

__all__ = ["OneCoinDawidSkene", "one_coin_confusion"]


def one_coin_confusion(accuracy: np.ndarray, k: int) -> np.ndarray:
    """``(m, k, k + 1)`` confusion matrices of one-coin sources (abstain column ignored)."""
    a = np.asarray(accuracy, dtype=np.float64)[:, None, None]
    eye = np.eye(k)[None, :, :]
    conf = a * eye + (1.0 - a) / (k - 1) * (1.0 - eye)
    return with_abstain_column(conf)


class OneCoinDawidSkene(BaseLabelModel):
    """One-coin Dawid-Skene: each source is right with its own probability, by EM.

    A source's wrong answers are spread evenly over the other classes ("one coin" per
    source instead of a full confusion matrix), which needs far fewer answers per source
    than :class:`DawidSkene`. Abstains are ignored (who answers which item is decided by
    an assignment, not by the item). The accuracy of each source gets a Beta prior of
    ``smoothing`` right and ``smoothing`` wrong pseudo-answers; the class balance a
    Dirichlet(1) prior unless ``class_prior`` is given.

    Parameters
    ----------
    cardinality : int or None, default=None
        Number of classes; ``None`` infers ``max(L) + 1``.
    class_prior : (k,) array-like or None, default=None
        Fixed class balance; ``None`` learns it.
    smoothing : float, default=1.0
        Pseudo-answers (each right and wrong) in the Beta prior of every accuracy.
    max_iter : int, default=100
    tol : float, default=1e-6
        Stop when no accuracy and no class share moves by more than ``tol``.
    random_state : None
        Unused (the fit is deterministic); kept for the shared estimator API.

    Attributes
    ----------
    accuracy_ : (n_sources,) float array
        P(answer right) of each source (the one coin).
    confusion_ : (n_sources, k, k + 1) float array
        The implied confusion matrices (last column, abstain, unused).
    class_prior_ : (k,) float array
    source_accuracies_ : (n_sources,) float array
        ``accuracy_``, NaN for sources that never voted.
    uncovered_ : (n_items,) bool array
    n_iter_ : int

    Examples
    --------
    >>> import numpy as np
    >>> L = np.array([[0, 0, 1], [1, 1, 1], [0, 0, 0], [1, 1, 0], [0, 1, 0], [1, 0, 1]])
    >>> OneCoinDawidSkene().fit(L).predict(L).tolist()
    [0, 1, 0, 1, 0, 1]
    """

    def __init__(
        self,
        *,
        cardinality: int | None = None,
        class_prior: Any = None,
        smoothing: float = 1.0,
        max_iter: int = 100,
        tol: float = 1e-6,
        random_state: Any = None,
    ) -> None:
        self.cardinality = cardinality
        self.class_prior = class_prior
        self.smoothing = smoothing
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _fit(self, V: VoteMatrix, prior: np.ndarray | None) -> None:
        owner = type(self).__name__
        s = float(check_positive(self.smoothing, "smoothing", owner))
        max_iter = check_positive(self.max_iter, "max_iter", owner, integer=True)
        tol = float(check_positive(self.tol, "tol", owner))
        k = V.k
        P = initial_posterior(V)
        n_votes = V.source_votes().sum(axis=1)
        acc = np.full(V.n_sources, 0.5)
        pi = prior if prior is not None else class_balance(P, 1.0)
        n_iter = 0
        for step in range(1, max_iter + 1):
            n_iter = step
            N = confusion_counts(V, P)
            new_acc = (np.einsum("jcc->j", N) + s) / (n_votes + 2.0 * s)
            new_pi = prior if prior is not None else class_balance(P, 1.0)
            P = posterior(V, one_coin_confusion(new_acc, k), new_pi, 0.0)
            delta = max(np.abs(new_acc - acc).max(initial=0.0), np.abs(new_pi - pi).max())
            acc, pi = new_acc, new_pi
            if delta < tol:
                break
        self.accuracy_ = acc
        self.confusion_ = one_coin_confusion(acc, k)
        self.class_prior_ = pi
        self.n_iter_ = n_iter
        self.source_accuracies_ = np.where(n_votes > 0, acc, np.nan)

    def _predict_proba(self, V: VoteMatrix) -> np.ndarray:
        P = posterior(V, self.confusion_, self.class_prior_, 0.0)
        P[~V.covered()] = self.class_prior_
        return P
