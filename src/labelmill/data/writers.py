"""Streaming writers for exports: JSON lines, CSV, Parquet and Label Studio JSON, one chunk of
rows at a time.

Each writer writes to a temporary file next to the target and moves it into place on
:meth:`close`, so an interrupted export never leaves a half-written file behind. Files are
created with the permissions the umask allows (as ``open`` would), not private ones.
:func:`check_output_path` says, before any work is spent, why a path cannot be written.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from labelmill.exceptions import ConfigError

__all__ = ["EXPORT_FORMATS", "FILE_FORMATS", "check_output_path", "create_temporary", "open_writer"]

FILE_FORMATS = ("jsonl", "csv", "parquet", "label-studio")
EXPORT_FORMATS = (*FILE_FORMATS, "hf")


def check_output_path(
    path: str | os.PathLike[str], *, overwrite: bool, folder: bool = False
) -> Path:
    """Check that ``path`` can be written, before any work is spent on it.

    Parameters
    ----------
    path : path
        The file (or, with ``folder=True``, the folder) to create.
    overwrite : bool
        Whether an existing file (or folder) there may be replaced.
    folder : bool
        The output is a folder (a Hugging Face data set).

    Returns
    -------
    Path

    Raises
    ------
    ConfigError
        The path exists (without ``overwrite``), is a folder where a file is expected (or
        the reverse), its folder does not exist (nothing creates it silently), or that
        folder cannot be written.
    """
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.exists():
        raise ConfigError(
            f"Cannot write {target}: the folder {parent} does not exist. Create it first, or "
            "choose another output path."
        )
    if not parent.is_dir():
        raise ConfigError(f"Cannot write {target}: {parent} is not a folder.")
    if target.exists() or target.is_symlink():
        if target.is_dir() and not folder:
            raise ConfigError(f"Cannot write {target}: it is a folder; name a file to create.")
        if folder and not target.is_dir():
            raise ConfigError(f"Cannot write {target}: it is a file; name a folder to create.")
        if not overwrite:
            raise ConfigError(
                f"{target} already exists; pass --overwrite to replace it, or choose another "
                "output path."
            )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(
            f"Cannot write {target}: no permission to create files in {parent}. Choose a "
            "folder you can write to."
        )
    return target


def create_temporary(folder: Path, name: str) -> Path:
    """An empty new file next to the target, with the permissions the umask allows."""
    for _ in range(100):
        tmp = folder / f".{name}-{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        except OSError as exc:
            raise ConfigError(f"Cannot write {folder / name}: {exc.strerror or exc}.") from None
        os.close(fd)
        return tmp
    raise ConfigError(f"Cannot create a temporary file in {folder}.")  # pragma: no cover


class _Writer:
    def __init__(
        self, path: Path, columns: Sequence[str] = (), types: dict[str, Any] | None = None
    ) -> None:
        self.path = path
        self.columns = list(columns)
        self.types = types or {}
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir():
            raise ConfigError(
                f"Cannot write {path}: the folder {folder} does not exist. Create it first, or "
                "choose another output path."
            )
        self.tmp = create_temporary(folder, path.name)
        self.rows = 0

    def write(self, rows: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        """Flush and close the temporary file."""

    def close(self) -> None:
        try:
            self._finish()
            os.replace(self.tmp, self.path)
        except OSError as exc:
            self.tmp.unlink(missing_ok=True)
            raise ConfigError(f"Cannot write {self.path}: {exc.strerror or exc}.") from None

    def abort(self) -> None:
        try:
            self._finish()
        finally:
            self.tmp.unlink(missing_ok=True)


class _JsonlWriter(_Writer):
    def __init__(
        self, path: Path, columns: Sequence[str] = (), types: dict[str, Any] | None = None
    ) -> None:
        super().__init__(path, columns, types)
        self._fh = open(self.tmp, "w", encoding="utf-8")  # noqa: SIM115

    def write(self, rows: list[dict[str, Any]]) -> None:
        self._fh.writelines(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows)
        self.rows += len(rows)

    def _finish(self) -> None:
        self._fh.close()


class _LabelStudioWriter(_Writer):
    """One JSON array of tasks, written a task at a time."""

    def __init__(
        self, path: Path, columns: Sequence[str] = (), types: dict[str, Any] | None = None
    ) -> None:
        super().__init__(path, columns, types)
        self._fh = open(self.tmp, "w", encoding="utf-8")  # noqa: SIM115
        self._fh.write("[")

    def write(self, rows: list[dict[str, Any]]) -> None:
        for task in rows:
            self._fh.write(
                ("\n" if self.rows == 0 else ",\n")
                + json.dumps(task, ensure_ascii=False, default=str)
            )
            self.rows += 1

    def _finish(self) -> None:
        if not self._fh.closed:
            self._fh.write("\n]\n")
            self._fh.close()


class _CsvWriter(_Writer):
    def __init__(
        self, path: Path, columns: Sequence[str] = (), types: dict[str, Any] | None = None
    ) -> None:
        super().__init__(path, columns, types)
        self._fh = open(self.tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self._writer: csv.DictWriter[str] | None = None

    def write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        if self._writer is None:
            names = list(rows[0])
            self._writer = csv.DictWriter(self._fh, fieldnames=names, extrasaction="ignore")
            self._writer.writeheader()
        self._writer.writerows({k: _cell(v) for k, v in r.items()} for r in rows)
        self.rows += len(rows)

    def _finish(self) -> None:
        if self._writer is None and self.columns and not self._fh.closed:  # no rows: the header
            csv.writer(self._fh).writerow(self.columns)
        self._fh.close()


def _cell(value: Any) -> Any:
    """Lists and dicts become JSON text in a CSV cell; None becomes an empty cell."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


class _ParquetWriter(_Writer):
    """Column types: ``types`` for the columns it names (so a first chunk of missing values
    cannot fix a wrong type), inferred from the first rows for the others."""

    def __init__(
        self, path: Path, columns: Sequence[str] = (), types: dict[str, Any] | None = None
    ) -> None:
        super().__init__(path, columns, types)
        self._writer: Any = None
        self._schema: Any = None

    def write(self, rows: list[dict[str, Any]]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not rows:
            return
        if self._schema is None:
            names = list(rows[0])
            untyped = [n for n in names if n not in self.types]
            try:
                inferred = pa.Table.from_pylist([{n: r.get(n) for n in untyped} for r in rows])
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                raise ConfigError(
                    f"Cannot write these rows to Parquet: a column holds values of several "
                    f"types ({exc}); export to jsonl instead, or make the column's values one "
                    "type."
                ) from exc
            fields = []
            for name in names:
                if name in self.types:
                    fields.append(pa.field(name, self.types[name]))
                    continue
                kind = inferred.schema.field(name).type
                fields.append(pa.field(name, pa.string() if pa.types.is_null(kind) else kind))
            self._schema = pa.schema(fields)
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

        if self._writer is None:  # no rows at all: a valid, empty file with the columns
            schema = pa.schema([pa.field(c, self.types.get(c, pa.string())) for c in self.columns])
            pq.write_table(schema.empty_table(), self.tmp)
        else:
            self._writer.close()
            self._writer = None


def open_writer(
    path: Path, fmt: str, *, columns: Sequence[str] = (), types: dict[str, Any] | None = None
) -> _Writer:
    """A writer for ``fmt`` (one of :data:`FILE_FORMATS`) that will create ``path``.

    Parameters
    ----------
    columns : sequence of str
        The columns an export has even without rows (the header of an empty CSV file, the
        schema of an empty Parquet file).
    types : dict, optional
        Parquet: column name -> ``pyarrow.DataType`` for the columns whose type is known.
    """
    writers: dict[str, type[_Writer]] = {
        "jsonl": _JsonlWriter,
        "csv": _CsvWriter,
        "parquet": _ParquetWriter,
        "label-studio": _LabelStudioWriter,
    }
    if fmt not in writers:
        raise ConfigError(
            f"The export format must be one of {', '.join(FILE_FORMATS)}. Got {fmt!r} instead."
        )
    return writers[fmt](path, columns, types)
