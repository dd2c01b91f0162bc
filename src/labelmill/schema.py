"""The label schema of a project: task type, ordered class names, data type, shown fields.

A schema is small, immutable and serializable to the project's ``labelmill.yaml``.
Class indices are ``0..k-1`` in the order the classes were given; ``-1`` means abstain.
For multi-label tasks a label is a set of classes, stored as a bit mask (bit ``c`` set
when class ``c`` applies), so one integer column serves both task types.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from labelmill.exceptions import ConfigError, SchemaError

__all__ = ["ABSTAIN", "DATA_TYPES", "RESERVED_KEYS", "TASKS", "ClassInfo", "Schema"]

ABSTAIN = -1
TASKS = ("classification", "multilabel")
DATA_TYPES = ("text", "image", "tabular")
_MAX_MULTILABEL_CLASSES = 62  # bit masks live in a signed 64-bit integer
#: keys the labeling page keeps for itself (digits pick classes by position)
RESERVED_KEYS = frozenset("0123456789 acghsuz?")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_MAX_GUIDELINES = 20_000
_MAX_DESCRIPTION = 500


@dataclass(frozen=True)
class ClassInfo:
    """What people see of a class on the labeling card (every field optional).

    Parameters
    ----------
    description : str
        One or two sentences: what belongs in the class (at most 500 characters).
    color : str
        ``#rrggbb``: the class button's colour.
    key : str
        One character that picks the class besides its digit (not one of
        :data:`RESERVED_KEYS`).
    """

    description: str = ""
    color: str = ""
    key: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            k: v
            for k, v in (
                ("description", self.description),
                ("color", self.color),
                ("key", self.key),
            )
            if v
        }


@dataclass(frozen=True)
class Schema:
    """What is labeled and how.

    Parameters
    ----------
    classes : sequence of str
        Ordered, unique, non-empty class names. Class ``i`` is ``classes[i]``.
    task : {"classification", "multilabel"}
        Single-label or multi-label classification.
    data_type : {"text", "image", "tabular"}
        What an item's payload is.
    fields : sequence of str
        For tabular data, the columns featurized and shown (empty: all payload columns).
    guidelines : str
        Instructions for the people labeling (plain text, shown on the labeling page).
    class_info : mapping of class name to ClassInfo (or dict)
        Per-class description, colour and key, shown on the labeling card.

    Examples
    --------
    >>> s = Schema(classes=("spam", "ham"))
    >>> s.index("ham")
    1
    >>> s.name(0)
    'spam'
    """

    classes: tuple[str, ...]
    task: str = "classification"
    data_type: str = "text"
    fields: tuple[str, ...] = field(default=())
    guidelines: str = ""
    class_info: Mapping[str, ClassInfo] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "classes", tuple(str(c).strip() for c in self.classes))
        object.__setattr__(self, "fields", tuple(self.fields))
        object.__setattr__(self, "guidelines", str(self.guidelines or ""))
        object.__setattr__(self, "class_info", self._checked_info(self.class_info))
        if self.task not in TASKS:
            raise ConfigError(
                f"The 'task' of a schema must be one of {', '.join(TASKS)}. "
                f"Got {self.task!r} instead."
            )
        if self.data_type not in DATA_TYPES:
            raise ConfigError(
                f"The 'data_type' of a schema must be one of {', '.join(DATA_TYPES)}. "
                f"Got {self.data_type!r} instead."
            )
        if len(self.classes) < 2 and self.task == "classification":
            raise ConfigError(
                "A classification schema needs at least 2 classes. "
                f"Got {list(self.classes)}; pass them as --classes a,b."
            )
        if not self.classes:
            raise ConfigError("A schema needs at least 1 class. Got none; pass --classes a,b.")
        if any(not c for c in self.classes):
            raise ConfigError(f"Class names must not be empty. Got {list(self.classes)}.")
        if len(set(self.classes)) != len(self.classes):
            dupes = sorted({c for c in self.classes if self.classes.count(c) > 1})
            raise ConfigError(f"Class names must be unique. Got duplicates: {dupes}.")
        if self.task == "multilabel" and len(self.classes) > _MAX_MULTILABEL_CLASSES:
            raise ConfigError(
                f"A multilabel schema supports at most {_MAX_MULTILABEL_CLASSES} classes. "
                f"Got {len(self.classes)}."
            )

    def _checked_info(self, info: Mapping[str, Any] | None) -> dict[str, ClassInfo]:
        if len(self.guidelines) > _MAX_GUIDELINES:
            raise ConfigError(
                f"The schema's 'guidelines' hold at most {_MAX_GUIDELINES:,} characters. "
                f"Got {len(self.guidelines):,}; link to a longer document instead."
            )
        if info is not None and not isinstance(info, Mapping):
            raise ConfigError(
                "The schema's 'class_info' must map class names to description, color and "
                f"key. Got {type(info).__name__}."
            )
        out: dict[str, ClassInfo] = {}
        keys: dict[str, str] = {}
        for name, value in (info or {}).items():
            if name not in self.classes:
                raise ConfigError(
                    f"'class_info' names {name!r}, which is not a class. Expected some of "
                    f"{list(self.classes)}."
                )
            if isinstance(value, ClassInfo):
                entry = value
            elif isinstance(value, Mapping):
                unknown = set(value) - {"description", "color", "key"}
                if unknown:
                    raise ConfigError(
                        f"'class_info' of {name!r} has unknown fields {sorted(unknown)}; "
                        "expected description, color, key."
                    )
                entry = ClassInfo(**{k: str(v or "") for k, v in value.items()})
            else:
                raise ConfigError(
                    f"'class_info' of {name!r} must be a mapping (description, color, key). "
                    f"Got {type(value).__name__}."
                )
            if len(entry.description) > _MAX_DESCRIPTION:
                raise ConfigError(
                    f"The description of class {name!r} holds at most {_MAX_DESCRIPTION} "
                    f"characters. Got {len(entry.description)}."
                )
            if entry.color and not _COLOR.match(entry.color):
                raise ConfigError(
                    f"The color of class {name!r} must be '#rrggbb'. Got {entry.color!r}."
                )
            if entry.key:
                if len(entry.key) != 1 or not entry.key.isprintable():
                    raise ConfigError(
                        f"The key of class {name!r} must be one character. Got {entry.key!r}."
                    )
                if entry.key.lower() in RESERVED_KEYS:
                    raise ConfigError(
                        f"The key {entry.key!r} of class {name!r} is taken by the labeling page "
                        f"(digits and {' '.join(sorted(RESERVED_KEYS - set('0123456789 ')))}); "
                        "choose another."
                    )
                if entry.key.lower() in keys:
                    raise ConfigError(
                        f"Classes {keys[entry.key.lower()]!r} and {name!r} have the same key "
                        f"{entry.key!r}; keys must differ."
                    )
                keys[entry.key.lower()] = name
            out[name] = entry
        return out

    @property
    def cardinality(self) -> int:
        """Number of classes ``k``."""
        return len(self.classes)

    @property
    def multilabel(self) -> bool:
        return self.task == "multilabel"

    def index(self, name: str) -> int:
        """Class index of ``name``; raises :class:`SchemaError` for an unknown class."""
        try:
            return self.classes.index(str(name).strip())
        except ValueError:
            raise SchemaError(
                f"Label {name!r} is not a class of this project. Expected one of "
                f"{list(self.classes)}."
            ) from None

    def name(self, index: int) -> str:
        """Class name of ``index``."""
        if not 0 <= index < self.cardinality:
            raise SchemaError(
                f"Class index {index} is out of range for {self.cardinality} classes."
            )
        return self.classes[index]

    def encode(self, label: str | int | Iterable[str | int]) -> int:
        """Encode a label given by name (or index, or a collection for multi-label) as an int.

        Single-label: the class index. Multi-label: a bit mask of the class indices.
        """
        if self.multilabel:
            names = [label] if isinstance(label, str | int) else list(label)
            mask = 0
            for n in names:
                mask |= 1 << self._to_index(n)
            return mask
        if not isinstance(label, str | int):
            raise SchemaError(
                f"This project is single-label; a label must be one class name. Got {label!r}."
            )
        return self._to_index(label)

    def decode(self, value: int) -> str | list[str] | None:
        """Inverse of :meth:`encode`; ``-1`` (abstain / no label) decodes to ``None``."""
        if value is None or value == ABSTAIN:
            return None
        if self.multilabel:
            return [c for i, c in enumerate(self.classes) if value >> i & 1]
        return self.name(int(value))

    def _to_index(self, label: str | int) -> int:
        if isinstance(label, bool):
            raise SchemaError(f"Label {label!r} is not a class of this project.")
        if isinstance(label, int):
            self.name(label)  # validates the range
            return label
        return self.index(label)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "task": self.task,
            "classes": list(self.classes),
            "data_type": self.data_type,
            "fields": list(self.fields),
        }
        # Optional guidance: written only when set, so older files and readers are unchanged.
        if self.guidelines:
            out["guidelines"] = self.guidelines
        info = {name: i.to_dict() for name, i in self.class_info.items() if i.to_dict()}
        if info:
            out["class_info"] = info
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schema:
        try:
            return cls(
                classes=tuple(data["classes"]),
                task=data.get("task", "classification"),
                data_type=data.get("data_type", "text"),
                fields=tuple(data.get("fields") or ()),
                guidelines=data.get("guidelines") or "",
                class_info=data.get("class_info") or {},
            )
        except KeyError as exc:
            raise ConfigError(f"The schema is missing the key {exc.args[0]!r}.") from None

    @classmethod
    def parse_classes(cls, text: str | Sequence[str]) -> tuple[str, ...]:
        """Split ``"spam,ham"`` into ``("spam", "ham")``.

        Raises
        ------
        ConfigError
            A class name is empty (``"spam,,ham"``): it is not dropped silently.
        """
        if isinstance(text, str):
            names = [c.strip() for c in text.split(",")]
            if len(names) > 1 and names[-1] == "":
                names.pop()  # a trailing comma
            if "" in names:
                raise ConfigError(
                    f"The class list {text!r} has an empty class name (position "
                    f"{names.index('') + 1}); remove the extra comma or name the class."
                )
            return tuple(names)
        return tuple(text)
