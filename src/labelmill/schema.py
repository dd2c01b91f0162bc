"""The label schema of a project: task type, ordered class names, data type, shown fields.

A schema is small, immutable and serializable to the project's ``labelmill.yaml``.
Class indices are ``0..k-1`` in the order the classes were given; ``-1`` means abstain.
For multi-label tasks a label is a set of classes, stored as a bit mask (bit ``c`` set
when class ``c`` applies), so one integer column serves both task types.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from labelmill.exceptions import ConfigError, SchemaError

__all__ = ["ABSTAIN", "DATA_TYPES", "TASKS", "Schema"]

ABSTAIN = -1
TASKS = ("classification", "multilabel")
DATA_TYPES = ("text", "image", "tabular")
_MAX_MULTILABEL_CLASSES = 62  # bit masks live in a signed 64-bit integer


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

    def __post_init__(self) -> None:
        object.__setattr__(self, "classes", tuple(str(c).strip() for c in self.classes))
        object.__setattr__(self, "fields", tuple(self.fields))
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
        return {
            "task": self.task,
            "classes": list(self.classes),
            "data_type": self.data_type,
            "fields": list(self.fields),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Schema:
        try:
            return cls(
                classes=tuple(data["classes"]),
                task=data.get("task", "classification"),
                data_type=data.get("data_type", "text"),
                fields=tuple(data.get("fields") or ()),
            )
        except KeyError as exc:
            raise ConfigError(f"The schema is missing the key {exc.args[0]!r}.") from None

    @classmethod
    def parse_classes(cls, text: str | Sequence[str]) -> tuple[str, ...]:
        """Split ``"spam,ham"`` into ``("spam", "ham")``."""
        if isinstance(text, str):
            return tuple(c.strip() for c in text.split(",") if c.strip())
        return tuple(text)
