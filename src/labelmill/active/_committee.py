"""Committee disagreement (query by committee) over an ensemble of probability matrices.

The committee can be any set of models that predict the same classes: bootstrap copies of
the end model, several end models, or - the labelmill case - the label model's posterior
(what the rules say) next to the end model's probabilities (what the model learned).
Items where rules and model disagree are exactly the ones a person should settle.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from labelmill.active._base import QueryContext, QueryStrategy, top_k
from labelmill.exceptions import ConfigError, InputError

__all__ = ["CommitteeDisagreement", "kl_to_consensus", "vote_entropy"]

_MEASURES = ("vote_entropy", "kl")


def _stack(committee: Any) -> np.ndarray:
    arr = np.asarray(committee, dtype=np.float64)
    if arr.ndim != 3:
        raise InputError(
            "The committee must be a (n_members, n_items, n_classes) array or a list of "
            f"(n_items, n_classes) probability matrices. Got shape {arr.shape} instead."
        )
    return arr


def vote_entropy(committee: Any) -> np.ndarray:
    """Entropy (nats) of the members' hard votes per item (Dagan & Engelson 1995).

    Parameters
    ----------
    committee : (n_members, n_items, n_classes) array or list of (n_items, n_classes) arrays

    Returns
    -------
    (n_items,) float array; 0 when all members vote the same class.

    Examples
    --------
    >>> a = np.array([[0.9, 0.1], [0.6, 0.4]])
    >>> b = np.array([[0.8, 0.2], [0.3, 0.7]])
    >>> vote_entropy([a, b]).round(3)
    array([0.   , 0.693])
    """
    arr = _stack(committee)
    n_members = arr.shape[0]
    votes = arr.argmax(axis=2)
    # sum_c (n_c/M) log(n_c/M) = (1/M) sum_m log(n_{vote_m}/M): count, per member, the
    # members that voted as it did (M is small, so M^2 comparisons are cheap)
    total = np.zeros(arr.shape[1])
    for m in range(n_members):
        same = (votes == votes[m]).sum(axis=0)
        total += np.log(same / n_members)
    return np.asarray(0.0 - total / n_members, dtype=np.float64)


def kl_to_consensus(committee: Any) -> np.ndarray:
    """Mean KL divergence of each member from the consensus (McCallum & Nigam 1998).

    Parameters
    ----------
    committee : (n_members, n_items, n_classes) array or list of (n_items, n_classes) arrays

    Returns
    -------
    (n_items,) float array, >= 0; 0 when all members agree exactly.

    Examples
    --------
    >>> a = np.array([[0.9, 0.1], [0.9, 0.1]])
    >>> b = np.array([[0.9, 0.1], [0.1, 0.9]])
    >>> kl_to_consensus([a, b]).round(3)
    array([0.   , 0.368])
    """
    arr = _stack(committee)
    eps = 1e-12
    log_consensus = np.log(np.maximum(arr.mean(axis=0), eps))
    # p * (log p - log q) with p = 0 contributes 0: the clipped log stays finite
    kl = np.einsum("mnk,mnk->mn", arr, np.log(np.maximum(arr, eps)) - log_consensus[None])
    return np.asarray(np.maximum(kl.mean(axis=0), 0.0), dtype=np.float64)


class CommitteeDisagreement(QueryStrategy):
    """Pick the items the committee disagrees on most.

    Parameters
    ----------
    measure : {"vote_entropy", "kl"}, default="vote_entropy"
        ``vote_entropy``: entropy of the members' hard votes (ties broken by the KL
        measure); ``kl``: mean KL divergence of each member from the consensus.
    include_model : bool, default=True
        Add ``proba`` (the current end model) as a member, so ``committee=[posterior]``
        measures rules-versus-model disagreement.
    max_similarity : float or None, default=0.95
        Batch de-duplication threshold on cosine similarity (see :class:`QueryStrategy`).

    Examples
    --------
    >>> import numpy as np
    >>> model = np.array([[0.9, 0.1], [0.8, 0.2], [0.7, 0.3]])
    >>> rules = np.array([[0.95, 0.05], [0.1, 0.9], [0.6, 0.4]])
    >>> CommitteeDisagreement().select(model, candidates=np.arange(3), batch_size=1,
    ...                                committee=[rules], random_state=0)
    array([1])
    """

    name: ClassVar[str] = "committee"
    needs_committee: ClassVar[bool] = True

    def __init__(
        self,
        *,
        measure: str = "vote_entropy",
        include_model: bool = True,
        max_similarity: float | None = 0.95,
    ) -> None:
        super().__init__(max_similarity=max_similarity)
        self.measure = measure
        self.include_model = include_model

    def _check_params(self, committee: list[np.ndarray]) -> None:
        if self.measure not in _MEASURES:
            raise ConfigError(
                "The 'measure' parameter of CommitteeDisagreement must be one of "
                f"{list(_MEASURES)}. Got {self.measure!r} instead."
            )
        n = len(committee) + (1 if self.include_model else 0)
        if n < 2:
            raise InputError(
                "CommitteeDisagreement needs at least 2 committee members (counting proba when "
                f"include_model=True). Got {n}; pass committee=[label_model_posterior] or a "
                "list of ensemble members' probabilities."
            )

    def _rank(self, ctx: QueryContext, n_wanted: int) -> np.ndarray:
        cand = ctx.candidates
        members = [m[cand] for m in ctx.committee]
        if self.include_model:
            members.append(ctx.proba[cand])
        stacked = np.stack(members)
        if self.measure == "kl":
            return top_k(kl_to_consensus(stacked), cand, n_wanted, ctx.rng)
        scores = vote_entropy(stacked)
        # the KL tie-break only matters from the n_wanted-th best vote entropy up
        if n_wanted < cand.size:
            cut = np.partition(scores, cand.size - n_wanted)[cand.size - n_wanted]
            near = np.flatnonzero(scores >= cut)
        else:
            near = np.arange(cand.size)
        bound = np.log(stacked.shape[0]) + 1.0
        scores[near] += 1e-6 * kl_to_consensus(stacked[:, near]) / bound
        return top_k(scores, cand, n_wanted, ctx.rng)
