"""Dawid-Skene: per-source class-conditional confusion matrices learned by EM."""

from __future__ import annotations

from typing import Any

import numpy as np

from labelmill.exceptions import ConfigError
from labelmill.labelmodel._base import BaseLabelModel
from labelmill.labelmodel._em import initial_posterior, posterior, run_em
from labelmill.labelmodel._validation import VoteMatrix
from labelmill.utils._validation import check_positive

__all__ = ["DawidSkene", "accuracies_from_theta", "check_abstain"]


def check_abstain(abstain: Any, owner: str) -> None:
    if abstain not in ("model", "ignore"):
        raise ConfigError(
            f"The 'abstain' parameter of {owner} must be 'model' or 'ignore'. "
            f"Got {abstain!r} instead."
        )


def accuracies_from_theta(theta: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """P(vote right | voted) for each source, from its confusion matrix and the class prior."""
    k = theta.shape[1]
    joint = theta[:, :, :k] * prior[None, :, None]  # P(y=c, vote=l)
    voted = joint.sum(axis=(1, 2))
    right = np.einsum("jcc->j", joint)
    with np.errstate(invalid="ignore", divide="ignore"):
        result: np.ndarray = right / voted
        return result


class DawidSkene(BaseLabelModel):
    """Dawid-Skene: a full confusion matrix per source, fitted by EM.

    Starts from the majority vote and adds ``smoothing`` pseudo-counts to every cell
    (a flat Dirichlet prior), so a source that only ever votes one class (unipolar, the
    usual case for labeling functions) does not collapse the model.

    Parameters
    ----------
    cardinality : int or None, default=None
        Number of classes; ``None`` infers ``max(L) + 1``.
    class_prior : (k,) array-like or None, default=None
        Fixed class balance; ``None`` learns it.
    abstain : {"model", "ignore"}, default="model"
        ``"model"`` treats abstaining as an outcome whose rate may depend on the true
        class (needed for unipolar labeling functions); ``"ignore"`` is the classic
        crowd model where who answers is unrelated to the answer.
    smoothing : float, default=1.0
        Pseudo-count added to every confusion-matrix cell.
    prior_correct : float, default=0.0
        Extra pseudo-count on the diagonal (the source gives the true class). The classic
        model has none; with a single source (or items no two sources share) the
        likelihood cannot tell a perfect source from a random one and the flat prior
        then prefers the random one: a positive value keeps the source's answers.
    max_iter : int, default=100
    tol : float, default=1e-5
    random_state : None
        Unused (the fit is deterministic); kept for the shared estimator API.

    Attributes
    ----------
    confusion_ : (n_sources, k, k + 1) float array
        ``confusion_[j, c, l]`` = P(source j outputs l | true class c); ``l = k`` is abstain.
    class_prior_ : (k,) float array
    source_accuracies_ : (n_sources,) float array
    uncovered_ : (n_items,) bool array
    n_iter_ : int

    Examples
    --------
    >>> import numpy as np
    >>> L = np.array([[0, 0, 1], [1, 1, 1], [0, -1, 0], [1, 1, -1]])
    >>> DawidSkene().fit(L).predict(L).tolist()
    [0, 1, 0, 1]
    """

    def __init__(
        self,
        *,
        cardinality: int | None = None,
        class_prior: Any = None,
        abstain: str = "model",
        smoothing: float = 1.0,
        prior_correct: float = 0.0,
        max_iter: int = 100,
        tol: float = 1e-5,
        random_state: Any = None,
    ) -> None:
        self.cardinality = cardinality
        self.class_prior = class_prior
        self.abstain = abstain
        self.smoothing = smoothing
        self.prior_correct = prior_correct
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _fit(self, V: VoteMatrix, prior: np.ndarray | None) -> None:
        owner = type(self).__name__
        check_abstain(self.abstain, owner)
        check_positive(self.smoothing, "smoothing", owner)
        check_positive(self.max_iter, "max_iter", owner, integer=True)
        check_positive(self.tol, "tol", owner)
        self._abstain_weight = 1.0 if self.abstain == "model" else 0.0
        if isinstance(self.prior_correct, bool) or not (
            isinstance(self.prior_correct, (int, float)) and self.prior_correct >= 0
        ):
            raise ConfigError(
                "The 'prior_correct' parameter of DawidSkene must be a number >= 0. "
                f"Got {self.prior_correct!r} instead."
            )
        alpha = np.full((V.n_sources, V.k, V.k + 1), float(self.smoothing))
        alpha[:, :, : V.k] += float(self.prior_correct) * np.eye(V.k)[None, :, :]
        result = run_em(
            V,
            initial_posterior(V),
            alpha=alpha,
            class_prior=prior,
            prior_alpha=1.0,
            abstain_weight=self._abstain_weight,
            max_iter=int(self.max_iter),
            tol=float(self.tol),
        )
        self.confusion_ = result.theta
        self.class_prior_ = result.prior
        self.n_iter_ = result.n_iter
        acc = accuracies_from_theta(result.theta, result.prior)
        acc[V.source_votes().sum(axis=1) == 0] = np.nan  # never voted: unknown
        self.source_accuracies_ = acc

    def _predict_proba(self, V: VoteMatrix) -> np.ndarray:
        P = posterior(V, self.confusion_, self.class_prior_, self._abstain_weight)
        P[~V.covered()] = self.class_prior_
        return P
