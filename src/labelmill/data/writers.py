"""Streaming writers for exports: JSON lines, CSV and Parquet, one chunk of rows at a time.

Each writer writes to a temporary file next to the target and moves it into place on
:meth:`close`, so an interrupted export never leaves a half-written file behind.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from labelmill.exceptions import ConfigError

__all__ = ["EXPORT_FORMATS", "open_writer"]

EXPORT_FORMATS = ("jsonl", "csv", "parquet")


class _Writer:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
        os.close(fd)
        self.tmp = Path(tmp)
        self.rows = 0

    def write(self, rows: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        """Flush and close the temporary file."""

    def close(self) -> None:
        self._finish()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        try:
            self._finish()
        finally:
            self.tmp.unlink(missing_ok=True)


class _JsonlWriter(_Writer):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._fh = open(self.tmp, "w", encoding="utf-8")  # noqa: SIM115

    def write(self, rows: list[dict[str, Any]]) -> None:
        self._fh.writelines(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows)
        self.rows += len(rows)

    def _finish(self) -> None:
        self._fh.close()


class _CsvWriter(_Writer):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._fh = open(self.tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self._writer: csv.DictWriter[str] | None = None

    def write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if self._writer is None:
            self._writer = csv.DictWriter(self._fh, fieldnames=list(rows[0]), extrasaction="ignore")
            self._writer.writeheader()
        self._writer.writerows({k: _cell(v) for k, v in r.items()} for r in rows)
        self.rows += len(rows)

    def _finish(self) -> None:
        self._fh.close()


def _cell(value: Any) -> Any:
    """Lists and dicts become JSON text in a CSV cell; None becomes an empty cell."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


class _ParquetWriter(_Writer):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._writer: Any = None
        self._schema: Any = None

    def write(self, rows: list[dict[str, Any]]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not rows:
            return
        if self._schema is None:
            inferred = pa.Table.from_pylist(rows).schema
            self._schema = pa.schema(
                [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in inferred]
            )
            self._writer = pq.ParquetWriter(self.tmp, self._schema)
        try:
            table = pa.Table.from_pylist(rows, schema=self._schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise ConfigError(
                f"Cannot write these rows to Parquet with the column types of the first rows "
                f"({exc}); export to jsonl instead, or make the column's values one type."
            ) from exc
        self._writer.write_table(table)
        self.rows += len(rows)

    def _finish(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._writer is None:  # no rows at all: still a valid, empty file
            pq.write_table(pa.table({"id": pa.array([], pa.string())}), self.tmp)
        else:
            self._writer.close()


def open_writer(path: Path, fmt: str) -> _Writer:
    """A writer for ``fmt`` (one of :data:`EXPORT_FORMATS`) that will create ``path``."""
    writers = {"jsonl": _JsonlWriter, "csv": _CsvWriter, "parquet": _ParquetWriter}
    if fmt not in writers:
        raise ConfigError(
            f"The export format must be one of {', '.join(EXPORT_FORMATS)}. Got {fmt!r} instead."
        )
    return writers[fmt](path)
