"""What the project-level guarantee remembers between rounds, and how fresh error enters.

The state is small and JSON-serializable: the lead stores ``state.to_dict()`` after each
round and passes ``GuaranteeState.from_dict(...)`` to the next one. It holds the level
each threshold hands to the next round (:mod:`~labelmill.quality._alpha_graph`).

Fresh error
-----------
The j-th injection of fresh error into the project's tests is ``delta * gamma_j`` with

    gamma_j = c / ((j + c - 1) * (j + c)),     sum over j >= 1 of gamma_j = 1,

(``c`` is ``spending_offset``), so whatever the number of rounds, the error that ever
enters adds up to at most ``delta = 1 - confidence``. A larger ``c`` injects more slowly:
the first injection is ``1 / (c + 1)`` of the budget. Rounds whose audit sample is too
small to pass any test (decided from counts, never from answers) inject nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from labelmill.exceptions import InputError

__all__ = ["GuaranteeState", "injection_level"]

STATE_VERSION = 1


def injection_level(j: int, *, delta: float, offset: int) -> float:
    """The ``j``-th injection (1-based): ``delta * offset / ((j + offset - 1)(j + offset))``.

    Examples
    --------
    >>> round(injection_level(1, delta=0.05, offset=2), 6)  # a third of the budget
    0.016667
    >>> round(sum(injection_level(j, delta=0.05, offset=2) for j in range(1, 100_000)), 4)
    0.05
    """
    return delta * offset / ((j + offset - 1) * (j + offset))


@dataclass
class GuaranteeState:
    """The persisted memory of a :class:`~labelmill.quality.GuaranteePolicy`.

    Attributes
    ----------
    target_accuracy, confidence : float or None
        The guarantee this state belongs to (set by the first decision). A different
        target or confidence starts a new guarantee (and a new error budget).
    round : int
        Decisions made so far.
    n_injections : int
        Rounds that injected fresh error (the j-th injected ``injection_level(j)``).
    alpha_injected : float
        Fresh error injected so far (at most ``1 - confidence``).
    injected_at : int
        Size of the random audit sample at the last injection (0: none yet).
    shares : list of float or None
        The candidate sets the levels belong to: set ``i`` holds the
        ``ceil(shares[i] * n_reference)`` most confident items to route.
    n_reference : int
        Items to route at the project's first decision (fixes the sets' sizes).
    carry : list of float
        Level each candidate set hands to the next round (earned by passing).
    node : int
        Index of the candidate set accepted by the last decision (-1: none).
    threshold : float or None
        Its confidence cutoff (None: nothing auto-accepted).
    n_auto : int
        Items auto-accepted by the last decision.
    lower_bound : float or None
        The last decision's lower bound on the accuracy of its auto-accepted labels.
    n_audit_above : int
        Audited items (random sample) above the last threshold.
    n_wrong_above : int
        Of those, how many were wrong under the last round's model.
    design_cutoff : float or None
        Lower end of the densely audited region set by the last decision.
    history : list of dict
        One short record per decision (round, node, threshold, n_auto, lower bound, the
        level of every node, fresh error injected, random sample size), the last 100.
    """

    target_accuracy: float | None = None
    confidence: float | None = None
    round: int = 0
    n_injections: int = 0
    alpha_injected: float = 0.0
    injected_at: int = 0
    shares: list[float] | None = None
    n_reference: int = 0
    carry: list[float] = field(default_factory=list)
    node: int = -1
    threshold: float | None = None
    n_auto: int = 0
    lower_bound: float | None = None
    n_audit_above: int = 0
    n_wrong_above: int = 0
    design_cutoff: float | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serializable form (plain numbers, strings, lists and dicts)."""
        out = asdict(self)
        out["version"] = STATE_VERSION
        return out

    @classmethod
    def from_dict(cls, data: Any) -> GuaranteeState:
        """Rebuild a state saved by :meth:`to_dict`.

        Raises
        ------
        InputError
            ``data`` is not such a dict (wrong type, unknown version, missing fields).

        Examples
        --------
        >>> s = GuaranteeState(round=3, n_injections=2, alpha_injected=0.025)
        >>> GuaranteeState.from_dict(s.to_dict()) == s
        True
        """
        if not isinstance(data, dict):
            raise InputError(
                "GuaranteeState.from_dict expects the dict written by GuaranteeState.to_dict. "
                f"Got {type(data).__name__} instead."
            )
        version = data.get("version")
        if version != STATE_VERSION:
            raise InputError(
                f"GuaranteeState.from_dict expects a state of version {STATE_VERSION}. Got "
                f"version {version!r} instead; start a new state (GuaranteeState()), which "
                "starts a new error budget."
            )
        names = set(cls.__dataclass_fields__)
        missing = sorted(names - set(data))
        if missing:
            raise InputError(
                "GuaranteeState.from_dict expects every field of the state. Got no "
                f"{', '.join(repr(m) for m in missing)} instead."
            )
        values = {name: data[name] for name in names}
        try:
            values["history"] = [dict(h) for h in values["history"]]
            values["carry"] = [float(c) for c in values["carry"]]
            if values["shares"] is not None:
                values["shares"] = [float(g) for g in values["shares"]]
        except (TypeError, ValueError) as exc:
            raise InputError(
                "GuaranteeState.from_dict expects 'history' as a list of dicts and 'carry' "
                f"and 'shares' as lists of numbers. Got {exc} instead."
            ) from exc
        return cls(**values)

    @property
    def alpha_held(self) -> float:
        """Error held by thresholds for the next round (earned by passing, not spent)."""
        return float(sum(self.carry))

    @property
    def alpha_spent(self) -> float:
        """Error spent for good: injected, and lost at tests that failed."""
        return max(0.0, self.alpha_injected - self.alpha_held)
