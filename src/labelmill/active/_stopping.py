"""When to stop asking people: stabilizing predictions and flat coverage.

Bloodgood & Vijay-Shanker (2009) stop active learning once successive models agree on a
fixed, unlabeled *stop set*: Cohen's kappa between the predictions of round t-1 and
round t above 0.99 for a few rounds in a row. labelmill adds the criterion that matters
for auto-labeling: the share of items the threshold policy auto-accepts (coverage) has
stopped growing.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from labelmill.exceptions import ConfigError, InputError
from labelmill.utils._validation import check_random_state

__all__ = ["StopDecision", "StoppingRule", "choose_stop_set", "prediction_kappa"]

_CRITERIA = ("either", "both", "stabilizing", "coverage")


def prediction_kappa(a: Any, b: Any) -> float:
    """Cohen's kappa between two prediction vectors over the same items.

    When both vectors are constant and identical (chance agreement 1) kappa is taken as 1.

    Examples
    --------
    >>> prediction_kappa([0, 1, 1, 0], [0, 1, 1, 0])
    1.0
    >>> prediction_kappa([0, 1, 1, 0], [1, 0, 0, 1])
    -1.0
    """
    x = np.asarray(a).ravel()
    y = np.asarray(b).ravel()
    if x.shape != y.shape or x.size == 0:
        raise InputError(
            f"prediction_kappa needs two non-empty vectors of the same length. Got {x.size} "
            f"and {y.size}."
        )
    classes, inv = np.unique(np.concatenate([x, y]), return_inverse=True)
    xi, yi = inv[: x.size], inv[x.size :]
    po = float(np.mean(xi == yi))
    k = classes.size
    px = np.bincount(xi, minlength=k) / x.size
    py = np.bincount(yi, minlength=k) / y.size
    pe = float(px @ py)
    if pe >= 1.0:
        return 1.0 if po == 1.0 else 0.0
    return (po - pe) / (1.0 - pe)


def choose_stop_set(n_items: int, *, size: int = 2000, random_state: Any = None) -> np.ndarray:
    """A fixed random set of item positions on which successive models are compared.

    Examples
    --------
    >>> choose_stop_set(10, size=3, random_state=0).shape
    (3,)
    """
    if not isinstance(n_items, numbers.Integral) or n_items < 1:
        raise ConfigError(f"choose_stop_set needs n_items >= 1. Got {n_items!r} instead.")
    if not isinstance(size, numbers.Integral) or size < 1:
        raise ConfigError(f"The 'size' of choose_stop_set must be >= 1. Got {size!r} instead.")
    rng = check_random_state(random_state, owner="choose_stop_set")
    return np.sort(rng.choice(int(n_items), size=min(int(size), int(n_items)), replace=False))


@dataclass(frozen=True)
class StopDecision:
    """What :meth:`StoppingRule.update` decided, and why.

    Attributes
    ----------
    stop : bool
    reason : str
    kappa : float or None
        Agreement with the previous round's predictions on the stop set.
    coverage_gain : float or None
        Coverage now minus coverage in the previous round.
    stable_rounds : int
        Consecutive rounds with kappa >= the threshold.
    flat_rounds : int
        Consecutive rounds with coverage gain below the minimum.
    """

    stop: bool
    reason: str
    kappa: float | None
    coverage_gain: float | None
    stable_rounds: int
    flat_rounds: int


class StoppingRule:
    """Decide after each round whether more human labels still pay off.

    Parameters
    ----------
    kappa_threshold : float in (0, 1], default=0.99
        Successive models "agree" when Cohen's kappa of their predictions on the stop set
        is at least this.
    patience : int, default=3
        How many consecutive rounds a criterion must hold.
    min_coverage_gain : float, default=0.005
        Coverage "stops growing" when it rises by less than this in a round.
    criterion : {"either", "both", "stabilizing", "coverage"}, default="either"
        Stop when either criterion holds, both hold, or only the named one.

    Examples
    --------
    >>> rule = StoppingRule(patience=2)
    >>> preds = [0, 1, 1, 0, 1, 0]
    >>> [rule.update(preds).stop for _ in range(3)]
    [False, False, True]
    """

    def __init__(
        self,
        *,
        kappa_threshold: float = 0.99,
        patience: int = 3,
        min_coverage_gain: float = 0.005,
        criterion: str = "either",
    ) -> None:
        self.kappa_threshold = kappa_threshold
        self.patience = patience
        self.min_coverage_gain = min_coverage_gain
        self.criterion = criterion
        self.previous_: list[int] | None = None
        self.previous_ids_: list[Any] | None = None
        self.previous_coverage_: float | None = None
        self.stable_rounds_ = 0
        self.flat_rounds_ = 0
        self.rounds_ = 0

    def _check(self) -> None:
        t = self.kappa_threshold
        if not isinstance(t, numbers.Real) or isinstance(t, bool) or not 0 < t <= 1:
            raise ConfigError(
                "The 'kappa_threshold' parameter of StoppingRule must be a float in (0, 1]. "
                f"Got {t!r} instead."
            )
        p = self.patience
        if not isinstance(p, numbers.Integral) or isinstance(p, bool) or p < 1:
            raise ConfigError(
                f"The 'patience' parameter of StoppingRule must be an int >= 1. Got {p!r} instead."
            )
        g = self.min_coverage_gain
        if not isinstance(g, numbers.Real) or isinstance(g, bool) or not 0 <= g < 1:
            raise ConfigError(
                "The 'min_coverage_gain' parameter of StoppingRule must be a float in [0, 1). "
                f"Got {g!r} instead."
            )
        if self.criterion not in _CRITERIA:
            raise ConfigError(
                f"The 'criterion' parameter of StoppingRule must be one of {list(_CRITERIA)}. "
                f"Got {self.criterion!r} instead."
            )

    def update(
        self, predictions: Any, coverage: float | None = None, *, ids: Any = None
    ) -> StopDecision:
        """Feed this round's predictions on the stop set (and coverage); get a decision.

        Parameters
        ----------
        predictions : (n_stop,) int array
            The current model's predicted classes on the stop set.
        coverage : float in [0, 1] or None
            Share of items the threshold policy auto-accepts this round.
        ids : (n_stop,) array or None
            Who each prediction is about (item ids, or any unique, JSON-safe key per item).
            With ids, successive rounds are compared on the items both predicted for, by
            id, so items added or removed between rounds never pair one item's prediction
            with another's. Without ids, the stop set must be the same items in the same
            order every round.

        Returns
        -------
        StopDecision

        Raises
        ------
        InputError
            When, without ids, the stop set changed size between rounds; when ``ids`` does
            not match ``predictions``; or when coverage is out of range.
        """
        self._check()
        pred = np.asarray(predictions).ravel()
        if pred.size == 0:
            raise InputError("StoppingRule.update needs predictions on a non-empty stop set.")
        keys = None if ids is None else np.asarray(ids).ravel()
        if keys is not None and keys.shape != pred.shape:
            raise InputError(
                f"StoppingRule.update got {keys.size} ids for {pred.size} predictions; pass one "
                "id per prediction."
            )
        if keys is None and self.previous_ is not None and pred.size != len(self.previous_):
            raise InputError(
                "StoppingRule.update must see the same stop set every round: got "
                f"{pred.size} predictions after {len(self.previous_)}. Keep the stop set fixed "
                "(see choose_stop_set), or pass ids to compare by item."
            )
        if coverage is not None and (
            not isinstance(coverage, numbers.Real) or not 0 <= coverage <= 1
        ):
            raise InputError(
                f"The 'coverage' passed to StoppingRule.update must be in [0, 1]. Got {coverage!r}."
            )
        kappa = None
        if self.previous_ is not None:
            before, now = self._paired(pred, keys)
            if before.size:
                kappa = prediction_kappa(before, now)
                stable = kappa >= self.kappa_threshold
                self.stable_rounds_ = self.stable_rounds_ + 1 if stable else 0
            else:  # nothing to compare with (no common items): start counting afresh
                self.stable_rounds_ = 0
        gain = None
        if coverage is not None:
            if self.previous_coverage_ is not None:
                gain = float(coverage) - self.previous_coverage_
                self.flat_rounds_ = self.flat_rounds_ + 1 if gain < self.min_coverage_gain else 0
            self.previous_coverage_ = float(coverage)
        self.previous_ = [int(v) for v in pred]
        self.previous_ids_ = None if keys is None else keys.tolist()
        self.rounds_ += 1

        stable = self.stable_rounds_ >= self.patience
        flat = coverage is not None and self.flat_rounds_ >= self.patience
        if self.criterion == "either":
            stop = stable or flat
        elif self.criterion == "both":
            stop = stable and flat
        elif self.criterion == "stabilizing":
            stop = stable
        else:
            stop = flat
        return StopDecision(
            stop=bool(stop),
            reason=self._reason(stop, stable, flat, kappa, gain),
            kappa=kappa,
            coverage_gain=gain,
            stable_rounds=self.stable_rounds_,
            flat_rounds=self.flat_rounds_,
        )

    def _paired(self, pred: np.ndarray, keys: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(previous, current) predictions of the same items: by id when both rounds gave
        ids, else by position (the caller checked the sizes)."""
        previous = np.asarray(self.previous_)
        if keys is None:
            return previous, pred
        if self.previous_ids_ is None:  # the last round gave no ids: nothing pairs for sure
            return previous[:0], pred[:0]
        _common, i_before, i_now = np.intersect1d(
            np.asarray(self.previous_ids_), keys, assume_unique=False, return_indices=True
        )
        return previous[i_before], pred[i_now]

    def _reason(
        self, stop: bool, stable: bool, flat: bool, kappa: float | None, gain: float | None
    ) -> str:
        parts = []
        if kappa is None:
            parts.append(
                "first round: no previous model to compare with"
                if self.rounds_ <= 1
                else "no item in common with the previous round's stop set: comparing afresh"
            )
        else:
            parts.append(
                f"kappa with the previous model {kappa:.4f} "
                f"({'>=' if kappa >= self.kappa_threshold else '<'} {self.kappa_threshold}), "
                f"{self.stable_rounds_}/{self.patience} stable rounds"
            )
        if gain is not None:
            parts.append(
                f"coverage gain {gain:+.4f} "
                f"({'<' if gain < self.min_coverage_gain else '>='} {self.min_coverage_gain}), "
                f"{self.flat_rounds_}/{self.patience} flat rounds"
            )
        head = "stop" if stop else "continue"
        if stop:
            why = []
            if stable:
                why.append("predictions have stabilized")
            if flat:
                why.append("coverage no longer grows")
            head += " (" + " and ".join(why) + ")"
        return f"{head}: " + "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe state."""
        return {
            "kappa_threshold": float(self.kappa_threshold),
            "patience": int(self.patience),
            "min_coverage_gain": float(self.min_coverage_gain),
            "criterion": self.criterion,
            "previous": self.previous_,
            "previous_ids": self.previous_ids_,
            "previous_coverage": self.previous_coverage_,
            "stable_rounds": self.stable_rounds_,
            "flat_rounds": self.flat_rounds_,
            "rounds": self.rounds_,
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> StoppingRule:
        """Rebuild from :meth:`to_dict` output."""
        try:
            rule = cls(
                kappa_threshold=state["kappa_threshold"],
                patience=state["patience"],
                min_coverage_gain=state["min_coverage_gain"],
                criterion=state["criterion"],
            )
            rule.previous_ = None if state["previous"] is None else list(state["previous"])
            ids = state.get("previous_ids")  # absent from states written before ids existed
            rule.previous_ids_ = None if ids is None else list(ids)
            pc = state["previous_coverage"]
            rule.previous_coverage_ = None if pc is None else float(pc)
            rule.stable_rounds_ = int(state["stable_rounds"])
            rule.flat_rounds_ = int(state["flat_rounds"])
            rule.rounds_ = int(state["rounds"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"StoppingRule.from_dict got a damaged state ({exc}); start a new rule."
            ) from exc
        rule._check()
        return rule
