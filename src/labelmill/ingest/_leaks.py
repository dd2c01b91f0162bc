"""Feature columns that give the answer away: a forgotten label column among the features.

A tabular model trained on a column that *is* the label learns nothing useful and reports
a perfect accuracy. :class:`LeakCheck` watches the feature values of an import as they
stream by (bounded memory) and names a feature column that

- predicts the gold labels perfectly (every value seen with gold belongs to one class,
  with fewer distinct values than gold rows, so an id-like column does not count), or
- holds nothing but class names (the label column, imported without ``--gold-column``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from labelmill.schema import Schema

__all__ = ["LeakCheck"]

_MAX_VALUES = 10_000  # distinct values tracked per column before it is let go


class LeakCheck:
    """Streams (features, gold) pairs; :meth:`notes` names the suspicious columns.

    Parameters
    ----------
    schema : Schema
    features : sequence of str
        The feature columns of the import.
    """

    def __init__(self, schema: Schema, features: Sequence[str]) -> None:
        self.schema = schema
        self.classes = {str(c) for c in schema.classes}
        self._class_of: dict[str, dict[Any, int]] = {f: {} for f in features}
        self._only_classes: dict[str, set[str]] = {f: set() for f in features}
        self._gold_rows = 0

    def add(self, payload: dict[str, Any], gold: int | None) -> None:
        if gold is not None and not self.schema.multilabel:
            self._gold_rows += 1
        for name in list(self._only_classes):
            value = payload.get(name)
            if value is None or value == "":
                continue
            if isinstance(value, str) and value.strip() in self.classes:
                self._only_classes[name].add(value.strip())
            else:
                del self._only_classes[name]
        if gold is None or self.schema.multilabel:
            return
        for name in list(self._class_of):
            seen = self._class_of[name]
            value = payload.get(name)
            key = (
                value
                if isinstance(value, str | int | float | bool) or value is None
                else str(value)
            )
            known = seen.setdefault(key, gold)
            if known != gold or len(seen) > _MAX_VALUES:
                del self._class_of[name]

    def notes(self) -> list[str]:
        """One warning per suspicious feature column (none when all is well)."""
        out = []
        for name, names in self._only_classes.items():
            if names:
                out.append(
                    f"Warning: feature column {name!r} holds nothing but class names "
                    f"({', '.join(sorted(names))}): it looks like the label. Re-import with "
                    f"--gold-column {name} (or --meta-column {name}) so the model does not "
                    "learn the answer from it."
                )
        for name, seen in self._class_of.items():
            if name in self._only_classes or self._gold_rows < 2:
                continue
            if len(seen) < self._gold_rows and len(set(seen.values())) > 1:
                out.append(
                    f"Warning: feature column {name!r} predicts the gold label perfectly on "
                    f"all {self._gold_rows:,} gold rows: if it is derived from the label, "
                    f"re-import with --meta-column {name} so the model does not learn the "
                    "answer from it."
                )
        return out
