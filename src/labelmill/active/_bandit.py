"""The strategy bandit: learn online which query strategy pays off on this data.

Active Learning by Learning (Hsu & Lin 2015) treats the query strategies as the arms
of an adversarial bandit and rewards the arm that was used by how much the model
improved, measured by importance-weighted accuracy on labels that were *not* chosen by
active learning. labelmill has exactly such labels: the random audit sample that people
label blind. So each round:

1. the round pipeline measures the current model's accuracy on the audit sample
   (:func:`importance_weighted_accuracy`) and calls :meth:`StrategyBandit.observe`,
   which credits the arm that picked the previous batch with the change in accuracy;
2. :meth:`StrategyBandit.choose` draws the arm for the next batch (EXP3: exponential
   weights over importance-weighted rewards, mixed with uniform exploration).

Rewards are improvements in accuracy, which shrink as the model learns; they are scaled
by a running average of their own magnitude so that late rounds still teach the bandit.
The whole state is a JSON-safe dict (:meth:`to_dict` / :meth:`from_dict`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from labelmill.exceptions import ConfigError, InputError
from labelmill.utils._validation import check_random_state

__all__ = ["DEFAULT_ARMS", "StrategyBandit", "importance_weighted_accuracy"]

#: One arm per family: least confidence and entropy rank almost like margin, and k-center
#: lost to clustering on every benchmark set, so adding them only spends exploration
#: (benchmarks/active_learning.py: 8 arms did worse than these 5 on trec and mnist).
DEFAULT_ARMS: tuple[str, ...] = ("random", "margin", "committee", "cluster", "hybrid")

_STATE_VERSION = 1
_MAX_LOG_WEIGHT_SPREAD = 20.0


def importance_weighted_accuracy(y_true: Any, y_pred: Any, *, sample_weight: Any = None) -> float:
    """Accuracy of ``y_pred`` on a labeled sample, each item weighted by ``sample_weight``.

    With a uniform random audit sample the weights are all 1 (plain accuracy); when the
    sample was drawn with unequal probabilities ``q_i``, pass ``sample_weight = 1 / q_i``
    for an unbiased estimate of the accuracy over all items.

    Parameters
    ----------
    y_true, y_pred : (m,) int arrays
    sample_weight : (m,) float array or None

    Returns
    -------
    float in [0, 1]

    Raises
    ------
    InputError
        When the arrays are empty, of different lengths, or the weights are negative.

    Examples
    --------
    >>> importance_weighted_accuracy([0, 1, 1], [0, 1, 0])
    0.6666666666666666
    >>> importance_weighted_accuracy([0, 1, 1], [0, 1, 0], sample_weight=[1, 1, 2])
    0.5
    """
    t = np.asarray(y_true).ravel()
    p = np.asarray(y_pred).ravel()
    if t.size == 0 or t.shape != p.shape:
        raise InputError(
            "importance_weighted_accuracy needs y_true and y_pred of the same non-zero length. "
            f"Got {t.size} and {p.size}."
        )
    w = np.ones(t.size) if sample_weight is None else np.asarray(sample_weight, float).ravel()
    if w.shape != t.shape or (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
        raise InputError(
            "The 'sample_weight' of importance_weighted_accuracy must be finite, >= 0, not all "
            f"zero, one per item ({t.size}). Got {w.size} weights."
        )
    return float(np.sum(w * (t == p)) / np.sum(w))


class StrategyBandit:
    """EXP3 bandit over query strategies, rewarded by audit-sample accuracy gains.

    Parameters
    ----------
    arms : sequence of str, default=DEFAULT_ARMS
        Registry names of the strategies to choose among.
    exploration : float in (0, 1], default=0.15
        Share of probability spread uniformly over the arms (EXP3's gamma).
    learning_rate : float > 0, default=1.0
        Step of the exponential-weights update per (scaled, importance-weighted) reward.

    Examples
    --------
    >>> bandit = StrategyBandit(arms=["random", "margin"])
    >>> bandit.observe(0.70)  # accuracy of the first model: nothing to credit yet
    >>> arm = bandit.choose(random_state=0)
    >>> bandit.observe(0.80)  # the batch ``arm`` picked raised accuracy by 0.10
    0.5
    >>> restored = StrategyBandit.from_dict(bandit.to_dict())
    >>> restored.report()["pulls"][arm]
    1
    """

    def __init__(
        self,
        arms: Sequence[str] | None = None,
        *,
        exploration: float = 0.15,
        learning_rate: float = 1.0,
    ) -> None:
        self.arms = list(DEFAULT_ARMS if arms is None else arms)
        self.exploration = exploration
        self.learning_rate = learning_rate
        self._check()
        k = len(self.arms)
        self.log_weights_ = [0.0] * k
        self.pulls_ = [0] * k
        self.reward_sums_ = [0.0] * k
        self.gain_scale_: float | None = None
        self.last_accuracy_: float | None = None
        self.pending_: dict[str, Any] | None = None
        self.history_: list[dict[str, Any]] = []

    # -- validation -------------------------------------------------------------------
    def _check(self) -> None:
        if not self.arms or len(set(self.arms)) != len(self.arms):
            raise ConfigError(
                "The 'arms' parameter of StrategyBandit must be a non-empty list of distinct "
                f"strategy names. Got {self.arms!r} instead."
            )
        if "auto" in self.arms:
            raise ConfigError(
                "The 'arms' of StrategyBandit cannot include 'auto' (the bandit itself). "
                f"Got {self.arms!r}."
            )
        g = self.exploration
        if not isinstance(g, numbers.Real) or isinstance(g, bool) or not 0 < g <= 1:
            raise ConfigError(
                "The 'exploration' parameter of StrategyBandit must be a float in (0, 1]. "
                f"Got {g!r} instead."
            )
        lr = self.learning_rate
        if not isinstance(lr, numbers.Real) or isinstance(lr, bool) or not 0 < lr < math.inf:
            raise ConfigError(
                "The 'learning_rate' parameter of StrategyBandit must be a positive float. "
                f"Got {lr!r} instead."
            )

    # -- policy -----------------------------------------------------------------------
    def probabilities(self, available: Sequence[str] | None = None) -> dict[str, float]:
        """The probability of drawing each (available) arm next.

        Parameters
        ----------
        available : sequence of str or None
            Arms usable this round (e.g. no 'committee' without a committee); None = all.
        """
        names = self._available(available)
        idx = [self.arms.index(a) for a in names]
        lw = np.array([self.log_weights_[i] for i in idx])
        w = np.exp(lw - lw.max())
        p = (1 - self.exploration) * w / w.sum() + self.exploration / len(idx)
        return {a: float(v) for a, v in zip(names, p, strict=True)}

    def _available(self, available: Sequence[str] | None) -> list[str]:
        if available is None:
            return list(self.arms)
        names = [a for a in self.arms if a in set(available)]
        if not names:
            raise ConfigError(
                f"None of the bandit's arms {self.arms} is available this round (available: "
                f"{list(available)}). Provide features/committee, or add arms."
            )
        return names

    def choose(self, random_state: Any = None, available: Sequence[str] | None = None) -> str:
        """Draw the strategy for the next batch and remember it until :meth:`observe`.

        Parameters
        ----------
        random_state : None, int, numpy Generator or RandomState
        available : sequence of str or None
            Arms usable this round; None = all.

        Returns
        -------
        str, the registry name of the chosen strategy.
        """
        rng = check_random_state(random_state, owner="StrategyBandit.choose")
        probs = self.probabilities(available)
        names = list(probs)
        p = np.array([probs[a] for a in names])
        arm = names[int(rng.choice(len(names), p=p / p.sum()))]
        self.pending_ = {"arm": arm, "probability": probs[arm], "n_available": len(names)}
        return arm

    @property
    def last_choice(self) -> str | None:
        """The arm drawn by the latest :meth:`choose` that has not been credited yet."""
        return None if self.pending_ is None else str(self.pending_["arm"])

    def observe(
        self, audit_accuracy: float, *, previous_accuracy: float | None = None
    ) -> float | None:
        """Record the current model's audit accuracy; credit the pending arm with the gain.

        Parameters
        ----------
        audit_accuracy : float in [0, 1]
            Accuracy of the model retrained after the last batch, on the random audit
            sample (see :func:`importance_weighted_accuracy`).
        previous_accuracy : float in [0, 1] or None
            Accuracy of the model from before that batch *on the same audit items*. Pass it
            when the audit sample has grown since the last call; by default the value
            given to the previous ``observe`` is used.

        Returns
        -------
        float or None
            The scaled reward in [-1, 1] given to the pending arm, or None when there was
            nothing to credit (first call, or no batch drawn since the last call).
        """
        acc = audit_accuracy
        if not isinstance(acc, numbers.Real) or isinstance(acc, bool) or not 0 <= acc <= 1:
            raise ConfigError(
                "The 'audit_accuracy' passed to StrategyBandit.observe must be a float in "
                f"[0, 1]. Got {acc!r} instead."
            )
        acc = float(acc)
        prev = previous_accuracy
        if prev is not None and (
            not isinstance(prev, numbers.Real) or isinstance(prev, bool) or not 0 <= prev <= 1
        ):
            raise ConfigError(
                "The 'previous_accuracy' passed to StrategyBandit.observe must be a float in "
                f"[0, 1]. Got {prev!r} instead."
            )
        baseline = self.last_accuracy_ if prev is None else float(prev)
        reward = None
        if self.pending_ is not None and baseline is not None:
            reward = self.update(
                self.pending_["arm"],
                acc - baseline,
                probability=self.pending_["probability"],
                n_available=self.pending_.get("n_available"),
            )
        self.pending_ = None
        self.last_accuracy_ = acc
        return reward

    def update(
        self,
        arm: str,
        gain: float,
        *,
        probability: float | None = None,
        n_available: int | None = None,
    ) -> float:
        """Credit ``arm`` with an accuracy ``gain`` (lower level than :meth:`observe`).

        Parameters
        ----------
        arm : str
            The arm that picked the batch.
        gain : float in [-1, 1]
            Change in audit accuracy after labeling that batch.
        probability : float or None
            The probability with which the arm was drawn (default: its current one).
        n_available : int or None
            How many arms could be drawn then (default: all).

        Returns
        -------
        float, the scaled reward in [-1, 1].
        """
        if arm not in self.arms:
            raise ConfigError(f"Unknown arm {arm!r} for StrategyBandit; its arms are {self.arms}.")
        if not isinstance(gain, numbers.Real) or not -1 <= gain <= 1:
            raise ConfigError(
                f"The 'gain' passed to StrategyBandit.update must be a float in [-1, 1]. Got "
                f"{gain!r} instead."
            )
        gain = float(gain)
        i = self.arms.index(arm)
        p = self.probabilities()[arm] if probability is None else float(probability)
        k = len(self.arms) if n_available is None else int(n_available)
        scale = self.gain_scale_ if self.gain_scale_ else max(abs(gain), 1e-3)
        reward = float(np.clip(gain / (2.0 * scale), -1.0, 1.0))
        self.gain_scale_ = 0.7 * scale + 0.3 * max(abs(gain), 1e-4)
        # importance weighting relative to uniform play keeps the step bounded by 1/gamma
        self.log_weights_[i] += self.learning_rate * reward / (k * max(p, 1e-12))
        top = max(self.log_weights_)
        self.log_weights_ = [max(w, top - _MAX_LOG_WEIGHT_SPREAD) for w in self.log_weights_]
        self.pulls_[i] += 1
        self.reward_sums_[i] += gain
        self.history_.append({"arm": arm, "gain": gain, "reward": reward, "probability": p})
        return reward

    # -- reporting and persistence ------------------------------------------------------
    def report(self) -> dict[str, Any]:
        """Which strategy the bandit favours, and why.

        Returns
        -------
        dict with ``favoured`` (arm name), ``probabilities``, ``pulls``, ``mean_gain``
        (mean audit-accuracy gain per pull, None if never pulled) and ``reason`` (a
        sentence for logs and the report).
        """
        probs = self.probabilities()
        fav = max(probs, key=lambda a: probs[a])
        pulls = dict(zip(self.arms, self.pulls_, strict=True))
        mean_gain = {
            a: (s / n if n else None)
            for a, s, n in zip(self.arms, self.reward_sums_, self.pulls_, strict=True)
        }
        total = sum(self.pulls_)
        if total == 0:
            reason = "no batch has been rewarded yet: every strategy is equally likely"
        else:
            others = [g for a, g in mean_gain.items() if a != fav and g is not None]
            best_other = f"{max(others):+.4f}" if others else "n/a"
            fg = mean_gain[fav]
            reason = (
                f"{fav} is favoured (p={probs[fav]:.2f}) after {total} rewarded batches: "
                f"{pulls[fav]} pulls with mean audit-accuracy gain "
                f"{'n/a' if fg is None else f'{fg:+.4f}'} (best other mean gain {best_other})"
            )
        return {
            "favoured": fav,
            "probabilities": probs,
            "pulls": pulls,
            "mean_gain": mean_gain,
            "reason": reason,
        }

    def to_dict(self) -> dict[str, Any]:
        """The full state as a JSON-safe dict (store it between rounds)."""
        return {
            "version": _STATE_VERSION,
            "arms": list(self.arms),
            "exploration": float(self.exploration),
            "learning_rate": float(self.learning_rate),
            "log_weights": [float(w) for w in self.log_weights_],
            "pulls": [int(n) for n in self.pulls_],
            "reward_sums": [float(s) for s in self.reward_sums_],
            "gain_scale": self.gain_scale_,
            "last_accuracy": self.last_accuracy_,
            "pending": None if self.pending_ is None else dict(self.pending_),
            "history": [dict(h) for h in self.history_],
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> StrategyBandit:
        """Rebuild a bandit from :meth:`to_dict` output.

        Raises
        ------
        InputError
            When the dict is not a bandit state of a known version.
        """
        if not isinstance(state, dict) or state.get("version") != _STATE_VERSION:
            got = state.get("version") if isinstance(state, dict) else type(state).__name__
            raise InputError(
                f"StrategyBandit.from_dict expects a state dict of version {_STATE_VERSION} "
                f"(from StrategyBandit.to_dict). Got {got!r}; start a new bandit instead."
            )
        try:
            bandit = cls(
                state["arms"],
                exploration=state["exploration"],
                learning_rate=state["learning_rate"],
            )
            k = len(bandit.arms)
            lw = [float(w) for w in state["log_weights"]]
            pulls = [int(n) for n in state["pulls"]]
            sums = [float(s) for s in state["reward_sums"]]
            if not len(lw) == len(pulls) == len(sums) == k:
                raise ValueError("per-arm lists do not match the arms")
            bandit.log_weights_, bandit.pulls_, bandit.reward_sums_ = lw, pulls, sums
            gs = state["gain_scale"]
            bandit.gain_scale_ = None if gs is None else float(gs)
            la = state["last_accuracy"]
            bandit.last_accuracy_ = None if la is None else float(la)
            bandit.pending_ = None if state["pending"] is None else dict(state["pending"])
            bandit.history_ = [dict(h) for h in state.get("history", [])]
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"StrategyBandit.from_dict got a damaged state ({exc}); start a new bandit."
            ) from exc
        return bandit
