"""A project's settings: one frozen, typed dataclass with every key and its default, written once.

:class:`ProjectSettings` is read from ``labelmill.yaml`` when a project opens and checked
there; a round or a simulation that needs other values derives its own copy with
:meth:`ProjectSettings.replace` and passes it down, so nothing patches shared state. The
server's settings schema and the CLI's options take their names, defaults and checks from
here.

Examples
--------
>>> s = ProjectSettings()
>>> s.target_accuracy, s.batch_size
(0.95, 50)
>>> s.replace(target_accuracy=0.99).target_accuracy
0.99
>>> ProjectSettings.from_dict({"target_accuracy": 1.5})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
labelmill.exceptions.ConfigError: The setting 'target_accuracy' must be a number in (0, 1)...
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from labelmill.enums import Strategy
from labelmill.exceptions import ConfigError

__all__ = [
    "DATASHEET_FIELDS",
    "GUARANTEES",
    "STRATEGY_NAMES",
    "TECHNIQUES",
    "TECHNIQUE_CHOICES",
    "ProjectSettings",
]

#: the free-text fields of the report (Gebru et al., "Datasheets for Datasets")
DATASHEET_FIELDS = (
    "description",
    "created_by",
    "collection_process",
    "preprocessing",
    "annotation_guidelines",
    "intended_uses",
    "not_recommended",
    "license",
    "citation",
    "maintainer",
    "contact",
)

#: the query strategies of :mod:`labelmill.active` and "auto" (the bandit); a test keeps
#: them equal to the registry, which is not imported here (it loads numpy)
STRATEGY_NAMES = tuple(s.value for s in Strategy)
#: the auto-accept policies: over the whole project (default) or per round (the old one)
GUARANTEES = ("project", "per_round")
#: the optional learning techniques of a round and their defaults (see ProjectSettings)
TECHNIQUES: dict[str, str] = {
    "self_training": "off",
    "label_spreading": "off",
    "ensemble": "off",
    "audit_model": "on",
    "augment": "off",
    "zero_shot": "off",
}
#: what each technique may be set to
TECHNIQUE_CHOICES = ("off", "on", "auto")


@dataclass(frozen=True)
class ProjectSettings:
    """Everything a project lets its user set, with its default.

    Parameters
    ----------
    target_accuracy : float in (0, 1), default 0.95
        The accuracy that ``auto`` labels must reach.
    confidence : float in (0, 1), default 0.95
        The probability with which they reach it (the guarantee's level).
    seed : int >= 0, default 0
        Seeds everything random in a round and the order of the audit sample.
    audit_fraction : float in (0, 1), default 0.3
        The share of people's answers taken by the blind audit once it has its minimum size.
    batch_size : int >= 1, default 50
        Items chosen per round by active learning (and answers per simulated round).
    strategy : str, default "auto"
        The active-learning strategy ordering the review queue; ``auto`` is the bandit.
    guarantee : {"project", "per_round"}, default "project"
        ``project``: with probability at least ``confidence``, no round of the project ever
        auto-accepts labels below ``target_accuracy``
        (:class:`labelmill.quality.GuaranteePolicy`); ``per_round``: the older policy whose
        statement holds for each round on its own (:class:`labelmill.quality.ThresholdPolicy`),
        kept for comparison.
    overlap : int >= 1, default 3
        Crowd mode: how many distinct people answer each item.
    featurizer : dict
        Options of the featurizer (see :func:`labelmill.features.make_featurizer`).
    feature_cache : str, optional
        Folder of the feature cache; default ``features`` in the project folder.
    end_model : dict
        Options of the end model (see :class:`labelmill.learn.EndModel`).
    hidden_columns : tuple of str
        Metadata columns that rules, featurizers and exports never see (the oracle column
        of a simulation is added for its duration).
    datasheet : dict of str to str
        The report's free text (see :data:`DATASHEET_FIELDS`): what the data set is for,
        how the items were collected, intended uses, licence...
    techniques : dict of str to {"off", "on", "auto"}
        The optional learning techniques of a round (:data:`TECHNIQUES` has the defaults;
        keys left out keep theirs):

        - ``self_training`` (default off): the end model pseudo-labels the unlabeled items it
          is most confident about and is fitted again (:class:`labelmill.learn.SelfTraining`);
        - ``label_spreading`` (default off): people's labels spread over a kNN graph of the
          features give soft targets to items no rule covers;
        - ``ensemble`` (default off): several heads weighted on held-out people's answers
          (:class:`labelmill.learn.StackedEnsemble`); their disagreement is the committee of
          active learning;
        - ``audit_model`` (default on): a second model trained with the blind audit answers
          too labels the ``review`` items; which items are ``auto`` and the threshold still
          come from the audit-blind model, so the guarantee is untouched;
        - ``augment`` (default off): label-preserving augmentation from
          :mod:`labelmill.augment` (``on`` is an error while that package is absent);
        - ``zero_shot`` (default off): votes from the similarity of each item's sentence
          embedding to its class's name and description, one more source of the label
          model (text projects with the embedding featurizer); its ``auto`` votes only
          before anyone has answered, a first model where there would be none.

        ``auto`` turns a technique on in a round when cross-validation over people's review
        answers (never the audit answers) shows it helps, and off when there are too few
        answers to tell; the round records what it chose and why (``RoundResult.techniques``).

    Raises
    ------
    ConfigError
        A bad value, naming the setting, what it must be and what came.
    """

    target_accuracy: float = 0.95
    confidence: float = 0.95
    seed: int = 0
    audit_fraction: float = 0.3
    batch_size: int = 50
    strategy: str = "auto"
    guarantee: str = "project"
    overlap: int = 3
    featurizer: dict[str, Any] = field(default_factory=dict)
    feature_cache: str | None = None
    end_model: dict[str, Any] = field(default_factory=dict)
    hidden_columns: tuple[str, ...] = ()
    datasheet: dict[str, str] = field(default_factory=dict)
    techniques: dict[str, str] = field(default_factory=lambda: dict(TECHNIQUES))

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            try:
                checked = _CHECKS[item.name](value)
            except ValueError as exc:
                raise ConfigError(
                    f"The setting {item.name!r} {exc}. Got {value!r} instead."
                ) from None
            object.__setattr__(self, item.name, checked)

    # -- building ---------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, values: dict[str, Any] | None) -> ProjectSettings:
        """Settings from a mapping (e.g. the ``settings`` of ``labelmill.yaml``), checked.

        Raises
        ------
        ConfigError
            An unknown key or a bad value, naming the setting, what it must be and what
            came.
        """
        if values is not None and not isinstance(values, dict):
            raise ConfigError(
                f"The settings must be a mapping of names to values. Got {values!r} instead."
            )
        known = [f.name for f in dataclasses.fields(cls)]
        for name in values or {}:
            if name not in known:
                raise ConfigError(
                    f"{name!r} is not a setting of labelmill; the settings are: "
                    f"{', '.join(known)}. Check its spelling in labelmill.yaml."
                )
        return cls(**(values or {}))

    def replace(self, **changes: Any) -> ProjectSettings:
        """A copy with ``changes`` applied and checked (``None`` values leave a setting as it
        is, so optional command-line options can be passed straight through; ``techniques``
        changes only the techniques it names)."""
        given = {k: v for k, v in changes.items() if v is not None}
        if isinstance(given.get("techniques"), dict):
            given["techniques"] = {**self.techniques, **given["techniques"]}
        if not given:
            return self
        return ProjectSettings.from_dict({**self.to_dict(), **given})

    def to_dict(self) -> dict[str, Any]:
        """Plain values (lists, not tuples) as written to ``labelmill.yaml``."""
        out = {f.name: copy.deepcopy(getattr(self, f.name)) for f in dataclasses.fields(self)}
        out["hidden_columns"] = list(self.hidden_columns)
        return out

    def changes_from(self, other: ProjectSettings) -> dict[str, tuple[Any, Any]]:
        """Setting name -> (other's value, this value) where the two differ."""
        mine, theirs = self.to_dict(), other.to_dict()
        return {k: (theirs[k], v) for k, v in mine.items() if theirs[k] != v}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _open_unit(value: Any) -> float:
    if not _is_number(value) or not 0 < value < 1:
        raise ValueError("must be a number in (0, 1)")
    return float(value)


def _non_negative_int(value: Any) -> int:
    if not _is_int(value) or value < 0:
        raise ValueError("must be a non-negative integer")
    return int(value)


def _positive_int(value: Any) -> int:
    if not _is_int(value) or value < 1:
        raise ValueError("must be a positive integer")
    return int(value)


def _strategy(value: Any) -> str:
    if value not in STRATEGY_NAMES:
        raise ValueError(f"must be one of {', '.join(STRATEGY_NAMES)}")
    return str(value)


def _options(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ValueError("must be a mapping of option names to values")
    return copy.deepcopy(value)


def _folder(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and value.strip()):
        return value
    if hasattr(value, "__fspath__"):
        return str(value)
    raise ValueError("must be a folder path")


def _columns(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not all(isinstance(c, str) for c in value):
        raise ValueError("must be a list of column names")
    return tuple(sorted(set(value)))


def _datasheet(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"must be a mapping of {', '.join(DATASHEET_FIELDS)} to text")
    unknown = sorted(set(value) - set(DATASHEET_FIELDS))
    if unknown:
        raise ValueError(
            f"has unknown field(s) {unknown}; the fields are {', '.join(DATASHEET_FIELDS)}"
        )
    if not all(isinstance(v, str) for v in value.values()):
        raise ValueError("must map each field to text")
    return dict(value)


def _guarantee(value: Any) -> str:
    if value not in GUARANTEES:
        raise ValueError(f"must be one of {', '.join(GUARANTEES)}")
    return str(value)


def _techniques(value: Any) -> dict[str, str]:
    if value is None:
        return dict(TECHNIQUES)
    if not isinstance(value, dict):
        raise ValueError(
            f"must be a mapping of technique names ({', '.join(TECHNIQUES)}) to "
            f"{', '.join(TECHNIQUE_CHOICES)}"
        )
    unknown = sorted(str(k) for k in set(value) - set(TECHNIQUES))
    if unknown:
        raise ValueError(
            f"has unknown technique(s) {unknown}; the techniques are {', '.join(TECHNIQUES)}"
        )
    bad = {k: v for k, v in value.items() if v not in TECHNIQUE_CHOICES}
    if bad:
        name, got = next(iter(bad.items()))
        raise ValueError(f"must set {name!r} to one of {', '.join(TECHNIQUE_CHOICES)}, not {got!r}")
    if value.get("augment", "off") == "on" and not augment_available():
        raise ValueError(
            "asks for augment=on, but labelmill.augment is not available in this "
            "installation; set augment to off or auto"
        )
    return {**TECHNIQUES, **{str(k): str(v) for k, v in value.items()}}


def augment_available() -> bool:
    """Whether the :mod:`labelmill.augment` package is installed (it is optional)."""
    import importlib.util

    return importlib.util.find_spec("labelmill.augment") is not None


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "target_accuracy": _open_unit,
    "confidence": _open_unit,
    "seed": _non_negative_int,
    "audit_fraction": _open_unit,
    "batch_size": _positive_int,
    "strategy": _strategy,
    "guarantee": _guarantee,
    "overlap": _positive_int,
    "featurizer": _options,
    "feature_cache": _folder,
    "end_model": _options,
    "hidden_columns": _columns,
    "datasheet": _datasheet,
    "techniques": _techniques,
}
