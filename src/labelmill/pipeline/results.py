"""What a round reports: typed values with one ``to_dict`` / ``from_dict`` each.

The round writes ``RoundResult.to_dict()`` to the ``rounds`` table; the server, the CLI
and the simulation read it back with :meth:`RoundResult.from_dict`, so every reader sees
the same fields (the dashboard once read an ``upper`` that the round never wrote).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

__all__ = [
    "AutoAccuracy",
    "RoundResult",
    "StoppingInfo",
    "StrategyInfo",
    "TechniqueInfo",
    "Versions",
]


@dataclass(frozen=True)
class AutoAccuracy:
    """Accuracy of the ``auto`` labels, estimated on the blind audit items above the
    threshold.

    Attributes
    ----------
    estimate : float
        Share of those audit items the model labeled right.
    lower, upper : float
        Two-sided exact (Clopper-Pearson) interval at the project's confidence.
    bound : float
        The one-sided lower bound that certified the threshold (the guarantee).
    n : int
        Audit items above the threshold.
    """

    estimate: float
    lower: float
    upper: float
    bound: float
    n: int

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> AutoAccuracy | None:
        if not values:
            return None
        # Rounds recorded before the interval had both ends (and the bound was kept) read
        # with the widest true statements: an upper end of 1, the lower end as the bound.
        known = {"upper": 1.0, "bound": values.get("lower", 0.0), **_known(cls, values)}
        return cls(**known)


@dataclass(frozen=True)
class StrategyInfo:
    """How the review queue was ordered: the strategy asked for, the batch it chose, and
    for ``auto`` the strategy the bandit picked and its state."""

    strategy: str
    batch: int
    chosen: str | None = None
    bandit: dict[str, Any] | None = None

    @property
    def used(self) -> str:
        return self.chosen or self.strategy

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> StrategyInfo | None:
        return None if not values else cls(**_known(cls, values))


@dataclass(frozen=True)
class StoppingInfo:
    """The stopping rule's verdict (see :class:`labelmill.active.StoppingRule`)."""

    stop: bool
    reason: str
    kappa: float | None = None
    coverage_gain: float | None = None

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> StoppingInfo | None:
        return None if not values else cls(**_known(cls, values))


@dataclass
class TechniqueInfo:
    """What a round did with one learning technique (see ``ProjectSettings.techniques``).

    Attributes
    ----------
    setting : {"off", "on", "auto"}
        The setting in force.
    used : bool
        Whether the technique ran.
    reason : str
        Why: the setting, or for ``auto`` the held-out evidence (or its lack).
    evidence : dict
        For ``auto``: people's answers held out, accuracy without and with, the answers
        each alone got right, the sign test's p-value.
    details : dict
        What it did: pseudo-labels, spread targets, ensemble weights, audit answers used,
        review labels it changed, seconds.
    """

    setting: str
    used: bool
    reason: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TechniqueInfo:
        return cls(**_known(cls, values))


@dataclass(frozen=True)
class Versions:
    """What made the labels: rule and source versions, the featurizer, the models."""

    rules: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    featurizer: str | None = None
    aggregator: dict[str, Any] = field(default_factory=dict)
    end_model: str | None = None
    threshold_policy: str | None = None

    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> Versions:
        return cls(**_known(cls, values or {}))


@dataclass
class RoundResult:
    """What a round did: counts by status, the threshold decision, quality estimates."""

    round_id: int
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    threshold: float | None = None
    guarantee: str = ""
    change: dict[str, Any] | None = None
    n_audit: int = 0
    n_human: int = 0
    n_trained: int = 0
    audit_accuracy: float | None = None
    auto_accuracy: AutoAccuracy | None = None
    n_more_audit_needed: int = 0
    accepted_share_on_audit: float | None = None
    ece_before: float | None = None
    ece_after: float | None = None
    strategy: StrategyInfo | None = None
    stopping: StoppingInfo | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    versions: Versions = field(default_factory=Versions)
    techniques: dict[str, TechniqueInfo] = field(default_factory=dict)
    error: str | None = None

    def summary(self) -> list[str]:
        """The lines the CLI prints after a round (also stored, for the dashboard)."""
        lines = [
            "items: " + ", ".join(f"{k} {v}" for k, v in self.counts.items()),
            self.guarantee,
        ]
        if self.change and self.change.get("text"):
            lines.append(f"what changed: {self.change['text']}")
        if self.audit_accuracy is not None:
            lines.append(
                f"model accuracy on the blind audit sample: {self.audit_accuracy:.3f} "
                f"({self.n_audit} items)"
            )
        if self.strategy is not None:
            bandit = self.strategy.bandit
            lines.append(
                f"review queue ordered by: {self.strategy.used}"
                + (f" (bandit: {bandit['reason']})" if bandit else "")
            )
        if self.stopping is not None:
            lines.append(f"stopping rule: {self.stopping.reason}")
        chosen = [
            f"{name} ({info.reason})"
            for name, info in self.techniques.items()
            if info.used or info.setting == "auto"
        ]
        if chosen:
            lines.append("techniques: " + "; ".join(chosen))
        return [line for line in lines if line]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values, with the summary lines (``summary``) added."""
        out = asdict(self)
        out["summary"] = self.summary()
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RoundResult:
        """The result written by :meth:`to_dict` (unknown keys, e.g. ``summary``, ignored)."""
        known = _known(cls, values)
        known["auto_accuracy"] = AutoAccuracy.from_dict(values.get("auto_accuracy"))
        known["strategy"] = StrategyInfo.from_dict(values.get("strategy"))
        known["stopping"] = StoppingInfo.from_dict(values.get("stopping"))
        known["versions"] = Versions.from_dict(values.get("versions"))
        known["techniques"] = {
            name: TechniqueInfo.from_dict(info)
            for name, info in (values.get("techniques") or {}).items()
        }
        return cls(**known)


def _known(cls: type, values: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in values.items() if k in names}
