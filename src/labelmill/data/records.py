"""The two things a reader yields per record: a :class:`Row` read, or a :class:`BadRow` not
read and why (apart from the readers, so every reader module imports them from here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["BadRow", "Row"]


@dataclass(frozen=True)
class Row:
    """One record of an input: its line (or record) number and its column values."""

    line: int
    values: dict[str, Any]


@dataclass(frozen=True)
class BadRow:
    """A record that could not be read, and why."""

    line: int
    reason: str
    raw: str = ""
    fatal: bool = False  # the whole input is unusable (empty, bad header), not just this row
