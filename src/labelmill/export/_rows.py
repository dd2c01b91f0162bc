"""Export a project's labeled data set: files, a PyTorch ``Dataset``, a Hugging Face ``Dataset``.

Every exported row has the item ``id`` as imported, the ``label`` (class name, a list of
names for multi-label, ``None`` while there is none), the ``status``, the ``confidence``,
the ``posterior`` (one probability per class, in schema order), the payload (``text``,
``image`` path, or the table's columns), the item's metadata columns, and provenance:
the ``sources`` whose votes produced the label and the ``round`` that decided it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from labelmill.data.writers import EXPORT_FORMATS, open_writer
from labelmill.enums import Status
from labelmill.exceptions import ConfigError
from labelmill.schema import Schema
from labelmill.store import Item, Label, Store
from labelmill.store.queries import items as item_sql
from labelmill.store.queries import sources as source_sql

__all__ = ["check_statuses", "export_rows", "iter_export_rows"]

RESERVED = ("id", "label", "status", "confidence", "posterior", "sources", "round")
_CHUNK = 5_000


def export_rows(
    store: Store,
    schema: Schema,
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    statuses: Sequence[str] | None = None,
) -> int:
    """Write the project's rows to ``path``; the format comes from ``fmt`` or the suffix.

    The file appears complete or not at all. Returns the number of rows written.
    """
    target = Path(path)
    fmt = fmt or {".jsonl": "jsonl", ".csv": "csv", ".parquet": "parquet"}.get(
        target.suffix.lower(), ""
    )
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(
            f"Cannot tell the export format of {target}; pass --format with one of "
            f"{', '.join(EXPORT_FORMATS)}."
        )
    writer = open_writer(target, fmt)
    try:
        for chunk in iter_export_rows(store, schema, statuses=statuses):
            writer.write(chunk)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    return writer.rows


def iter_export_rows(
    store: Store,
    schema: Schema,
    *,
    statuses: Sequence[str] | None = None,
    chunk_size: int = _CHUNK,
) -> Iterator[list[dict[str, Any]]]:
    """Yield the export rows in import order, ``chunk_size`` at a time (bounded memory)."""
    check_statuses(statuses)
    with store.session() as session:
        source_names = source_sql.source_names(session)
    last = 0
    while True:
        with store.session() as session:
            pairs = item_sql.export_page(session, last, chunk_size, statuses)
        if not pairs:
            return
        last = pairs[-1][0].pk
        yield [_row(item, label, schema, source_names) for item, label in pairs]


def _row(item: Item, label: Label, schema: Schema, source_names: dict[int, str]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": item.item_id,
        "label": schema.decode(label.label),
        "status": label.status,
        "confidence": label.confidence,
        "posterior": label.posterior,
        "sources": [source_names.get(s, str(s)) for s in label.sources or []],
        "round": label.round_id,
    }
    if schema.data_type == "text":
        row["text"] = item.payload
    elif schema.data_type == "image":
        row["image"] = item.payload
    for key, value in item.payload.items() if schema.data_type == "tabular" else ():
        row[key if key not in RESERVED else f"data.{key}"] = value
    for key, value in (item.meta or {}).items():
        row[key if key not in row else f"meta.{key}"] = value
    return row


def check_statuses(statuses: Sequence[str] | None) -> None:
    """Raise :class:`ConfigError` unless every name in ``statuses`` is a :class:`Status`."""
    known = [s.value for s in Status]
    unknown = sorted(set(statuses or ()) - set(known))
    if unknown:
        raise ConfigError(f"Unknown status(es) {unknown}. Expected some of {', '.join(known)}.")
