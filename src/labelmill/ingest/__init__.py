"""Bringing items in: column mapping, row checks, deduplication, rejects, one-transaction
writes (``labelmill import``, :meth:`labelmill.Project.import_items`)."""

from labelmill.ingest._columns import ColumnMap, columns_from
from labelmill.ingest._write import ImportReport, OnError, import_items, random_key

__all__ = ["ColumnMap", "ImportReport", "OnError", "columns_from", "import_items", "random_key"]
