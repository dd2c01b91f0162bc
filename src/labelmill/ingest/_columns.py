"""Which input columns hold what: the payload, the id, gold labels, metadata."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["ColumnMap", "columns_from"]


@dataclass(frozen=True)
class ColumnMap:
    """Which input columns hold what."""

    text: str | None = None
    image: str | None = None
    id: str | None = None
    gold: str | None = None
    meta: tuple[str, ...] | None = None


def columns_from(
    *,
    text_column: str | None = None,
    image_column: str | None = None,
    id_column: str | None = None,
    gold_column: str | None = None,
    meta_columns: Sequence[str] | None = None,
) -> ColumnMap:
    return ColumnMap(
        text=text_column,
        image=image_column,
        id=id_column,
        gold=gold_column,
        meta=tuple(meta_columns) if meta_columns is not None else None,
    )
