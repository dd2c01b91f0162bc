"""Bringing items in and taking them out: column mapping, row checks, deduplication,
rejects, one-transaction writes (``labelmill import``, :meth:`labelmill.Project.import_items`)
and removal (``labelmill remove``, :meth:`labelmill.Project.remove_items`)."""

from labelmill.ingest._columns import FOLDER_COLUMN, ColumnMap, columns_from
from labelmill.ingest._remove import RemovalReport, missing_media, remove_items
from labelmill.ingest._write import ImportReport, OnError, import_items, random_key

__all__ = [
    "FOLDER_COLUMN",
    "ColumnMap",
    "ImportReport",
    "OnError",
    "RemovalReport",
    "columns_from",
    "import_items",
    "missing_media",
    "random_key",
    "remove_items",
]
