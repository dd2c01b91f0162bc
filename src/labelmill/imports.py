"""Import items into a project: map columns, validate, deduplicate, write in one transaction.

The whole import is one database transaction: with ``on_error="fail"`` the first bad
row rolls everything back and raises :class:`~labelmill.exceptions.ImportRowError`
naming the file, the line and the problem, so the project is exactly as before; with
``on_error="skip"`` the good rows are imported and the bad ones are written, with their
reasons, to a JSON-lines rejects file. A process killed mid-import leaves the previous
state, since nothing is committed before the end.

Items keep the id they were imported with (``id_column``). Without one, an item's id
is derived from its content hash, so re-importing the same file adds nothing either
way. Items whose content hash is already in the project are reported as duplicates.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from labelmill.data.readers import BadRow, Row, detect_format, read_rows, scan_file
from labelmill.exceptions import ConfigError, ImportRowError, InputError, SchemaError
from labelmill.schema import Schema
from labelmill.store import AuditLog, Import, Item, Label, Source, Store, Vote

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ImportReport", "import_items"]

OnError = Literal["fail", "skip"]
_CHUNK = 5_000
_MAX_DUPLICATE_EXAMPLES = 20
GOLD_SOURCE = ("import", "gold", "1")


@dataclass
class ImportReport:
    """What an import read, added, skipped and set aside."""

    path: str
    format: str
    encoding: str | None = None
    rows_read: int = 0
    items_added: int = 0
    already_present: int = 0
    duplicates: int = 0
    duplicate_examples: list[tuple[str, str]] = field(default_factory=list)
    gold_labels: int = 0
    rejected: int = 0
    rejects_path: str | None = None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [
            f"read {self.rows_read} rows from {self.path}",
            f"added {self.items_added} items",
        ]
        if self.already_present:
            parts.append(f"{self.already_present} already in the project")
        if self.duplicates:
            parts.append(f"{self.duplicates} duplicate contents")
        if self.gold_labels:
            parts.append(f"{self.gold_labels} gold labels")
        if self.rejected:
            parts.append(f"{self.rejected} rejected (reasons in {self.rejects_path})")
        return "; ".join(parts)


@dataclass(frozen=True)
class ColumnMap:
    """Which input columns hold what."""

    text: str | None = None
    image: str | None = None
    id: str | None = None
    gold: str | None = None
    meta: tuple[str, ...] | None = None


def import_items(
    store: Store,
    schema: Schema,
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    columns: ColumnMap,
    fmt: str | None = None,
    encoding: str | None = None,
    on_error: OnError = "fail",
    rejects_path: str | os.PathLike[str] | None = None,
    actor: str = "library",
    progress: Callable[[int], None] | None = None,
    total_callback: Callable[[int], None] | None = None,
    seed: int = 0,
) -> ImportReport:
    """Import a file or DataFrame. See the module docstring; ``Project.import_items`` wraps this."""
    if on_error not in ("fail", "skip"):
        raise ConfigError(
            f"The 'on_error' parameter must be 'fail' or 'skip'. Got {on_error!r} instead."
        )
    rows, report, base, total = _open_source(source, fmt=fmt, encoding=encoding)
    if total_callback is not None and total:
        total_callback(total)
    builder = _ItemBuilder(schema, columns, base=base, path=report.path)
    builder.from_folder = report.format == "images"
    rejects = _Rejects(report.path, rejects_path) if on_error == "skip" else None
    try:
        store.write(
            lambda session: _write(session, rows, builder, report, rejects, actor, progress, seed),
            retries=0,
        )
    except BaseException:
        if rejects is not None:
            rejects.discard()
        raise
    if rejects is not None:
        report.rejected = rejects.count
        report.rejects_path = rejects.commit()
    return report


def _open_source(
    source: Any, *, fmt: str | None, encoding: str | None
) -> tuple[Iterator[Row | BadRow], ImportReport, Path, int]:
    """The rows of ``source``, an empty report, the folder relative paths start from,
    and the number of rows expected (0 when unknown)."""
    if not isinstance(source, str | os.PathLike):
        report = ImportReport(path="<DataFrame>", format="dataframe")
        return (
            _frame_rows(source),
            report,
            Path.cwd(),
            len(source) if hasattr(source, "__len__") else 0,
        )
    path = Path(source)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder.")
    fmt = fmt or detect_format(path)
    report = ImportReport(path=str(path.resolve()), format=fmt)
    if fmt == "images":
        return read_rows(path, fmt), report, path, 0
    if path.stat().st_size == 0:
        raise ImportRowError(str(path), 0, "the file is empty")
    info = scan_file(path, encoding=encoding, text=fmt != "parquet")
    report.encoding = info.encoding
    report.notes.extend(info.notes)
    total = _parquet_rows(path) if fmt == "parquet" else max(info.lines - (fmt != "jsonl"), 0)
    return read_rows(path, fmt, encoding=info.encoding or "utf-8"), report, path.parent, total


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except Exception:  # noqa: BLE001 - reported properly when the rows are read
        return 0


def _frame_rows(frame: pd.DataFrame) -> Iterator[Row | BadRow]:
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise ConfigError(
            "The 'source' of an import must be a path or a pandas DataFrame. "
            f"Got {type(frame).__name__} instead."
        )
    if frame.empty:
        yield BadRow(0, "the DataFrame is empty")
        return
    names = [str(c) for c in frame.columns]
    for start in range(0, len(frame), _CHUNK):
        block = frame.iloc[start : start + _CHUNK]
        for offset, values in enumerate(block.itertuples(index=False, name=None)):
            record = {
                n: (None if _is_missing(v) else _plain(v))
                for n, v in zip(names, values, strict=True)
            }
            yield Row(start + offset + 1, record)


def _is_missing(value: Any) -> bool:
    try:
        return bool(value != value) or value is None  # NaN, NaT, None
    except (TypeError, ValueError):
        return False


def _plain(value: Any) -> Any:
    """Numpy scalars to Python scalars, so payloads serialize to JSON."""
    return value.item() if hasattr(value, "item") and not isinstance(value, str) else value


class _ItemBuilder:
    """Turns a row into the fields of an item, or raises ImportRowError."""

    def __init__(self, schema: Schema, columns: ColumnMap, *, base: Path, path: str) -> None:
        self.schema = schema
        self.columns = columns
        self.base = base
        self.path = path
        self.checked_header = False
        self.from_folder = False
        if schema.data_type == "text" and columns.image:
            raise ConfigError("This is a text project; use --text-column, not --image-column.")
        if schema.data_type == "image" and columns.text:
            raise ConfigError("This is an image project; use --image-column, not --text-column.")

    def check_header(self, row: Row) -> None:
        self.checked_header = True
        present = list(row.values)
        if self.columns.gold is None and self.from_folder and "label" in row.values:
            self.columns = ColumnMap(**{**self.columns.__dict__, "gold": "label"})
        wanted = [
            (c, flag)
            for c, flag in (
                (self.columns.text, "--text-column"),
                (self.columns.image, "--image-column"),
                (self.columns.id, "--id-column"),
                (self.columns.gold, "--gold-column"),
            )
            if c
        ] + [(m, "--meta-column") for m in self.columns.meta or ()]
        for name, flag in wanted:
            if name not in row.values:
                raise ImportRowError(
                    self.path,
                    row.line,
                    f"column {name!r} (given by {flag}) not found; the columns are {present}",
                )
        payload_column = self._payload_column()
        if payload_column and payload_column not in row.values:
            flag = "--text-column" if self.schema.data_type == "text" else "--image-column"
            raise ImportRowError(
                self.path,
                row.line,
                f"no {payload_column!r} column; the columns are {present}. Name the column "
                f"holding the {self.schema.data_type} with {flag}",
            )

    def _payload_column(self) -> str | None:
        if self.schema.data_type == "text":
            return self.columns.text or "text"
        if self.schema.data_type == "image":
            return self.columns.image or "image"
        return None

    def build(self, row: Row) -> dict[str, Any]:
        values = row.values
        used = {c for c in (self.columns.id, self.columns.gold) if c}
        payload, content, column = self._payload(row)
        if column:
            used.add(column)
        meta_names = self.columns.meta
        if meta_names is None:
            meta_names = tuple(k for k in values if k not in used) if column else ()
        meta = {k: values.get(k) for k in meta_names} or None
        if self.schema.data_type == "tabular":
            payload = {
                k: _coerce(v) for k, v in values.items() if k not in used and k not in (meta or {})
            }
            if self.schema.fields:
                missing = [f for f in self.schema.fields if f not in payload]
                if missing:
                    raise ImportRowError(
                        self.path, row.line, f"missing field(s) {missing} of the schema"
                    )
                payload = {f: payload[f] for f in self.schema.fields}
            content = json.dumps(payload, sort_keys=True, default=str).encode()
        gold = None
        if self.columns.gold:
            raw_gold = values.get(self.columns.gold)
            if raw_gold not in (None, ""):
                gold = self._gold(raw_gold, row.line)
        item_id = None
        if self.columns.id:
            raw_id = values.get(self.columns.id)
            if raw_id in (None, "") or not str(raw_id).strip():
                raise ImportRowError(
                    self.path, row.line, f"column {self.columns.id!r} (the id) is empty"
                )
            item_id = str(raw_id).strip()
            if len(item_id) > 200:
                raise ImportRowError(self.path, row.line, "the id is longer than 200 characters")
        return {
            "item_id": item_id,
            "payload": payload,
            "meta": meta,
            "content_hash": hashlib.sha256(content).hexdigest(),
            "gold": gold,
            "line": row.line,
        }

    def _payload(self, row: Row) -> tuple[Any, bytes, str | None]:
        column = self._payload_column()
        if column is None:
            return None, b"", None
        value = row.values.get(column)
        if self.schema.data_type == "text":
            text = "" if value is None else str(value)
            if not text.strip():
                raise ImportRowError(
                    self.path,
                    row.line,
                    f"column {column!r} is empty; use --on-error skip to set such rows aside",
                )
            return text, text.encode("utf-8", errors="surrogatepass"), column
        return self._image(value, row.line, column)

    def _image(self, value: Any, line: int, column: str) -> tuple[str, bytes, str]:
        from PIL import Image, UnidentifiedImageError

        if value in (None, ""):
            raise ImportRowError(self.path, line, f"column {column!r} (the image path) is empty")
        image_path = Path(str(value))
        if not image_path.is_absolute():
            image_path = self.base / image_path
        image_path = image_path.resolve()
        try:
            data = image_path.read_bytes()
            with Image.open(image_path) as image:
                image.verify()
        except FileNotFoundError:
            raise ImportRowError(self.path, line, f"image {str(value)!r} not found") from None
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise ImportRowError(
                self.path, line, f"image {str(value)!r} cannot be read: {exc}"
            ) from None
        return str(image_path), data, column

    def _gold(self, raw: Any, line: int) -> int:
        try:
            if self.schema.multilabel:
                names = raw if isinstance(raw, list) else [p for p in str(raw).split("|") if p]
                return self.schema.encode(names)
            return self.schema.encode(str(raw))
        except SchemaError as exc:
            raise ImportRowError(self.path, line, f"gold label: {exc}") from None


def _coerce(value: Any) -> Any:
    """Numbers in text cells become numbers; empty cells become None."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return value


class _Rejects:
    """Rejected rows, written to a temporary file and moved into place once the import ends."""

    def __init__(self, source_path: str, target: str | os.PathLike[str] | None) -> None:
        if target is None:
            stem = Path(source_path).name if source_path != "<DataFrame>" else "dataframe"
            target = Path(source_path).parent / f"{stem}.rejects.jsonl"
        self.target = Path(target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.target.parent, prefix=".rejects-", suffix=".tmp")
        self._tmp = Path(tmp)
        self._fh = os.fdopen(fd, "w", encoding="utf-8")
        self.count = 0

    def add(self, line: int, reason: str, raw: str = "") -> None:
        self.count += 1
        self._fh.write(json.dumps({"line": line, "reason": reason, "raw": raw}) + "\n")

    def commit(self) -> str | None:
        self._fh.close()
        if self.count == 0:
            self._tmp.unlink(missing_ok=True)
            return None
        os.replace(self._tmp, self.target)
        return str(self.target)

    def discard(self) -> None:
        self._fh.close()
        self._tmp.unlink(missing_ok=True)


def _write(
    session: Session,
    rows: Iterator[Row | BadRow],
    builder: _ItemBuilder,
    report: ImportReport,
    rejects: _Rejects | None,
    actor: str,
    progress: Callable[[int], None] | None,
    seed: int,
) -> None:
    record = Import(path=report.path)
    session.add(record)
    session.flush()
    gold_source = _LazyGoldSource(session)
    for chunk in _chunks(rows, _CHUNK):
        items = []
        for row in chunk:
            if isinstance(row, BadRow) and row.fatal:
                raise ImportRowError(report.path, row.line, row.reason)
            report.rows_read += 1
            if isinstance(row, Row) and not builder.checked_header:
                builder.check_header(row)  # a missing column stops the import in any mode
            try:
                if isinstance(row, BadRow):
                    raise ImportRowError(report.path, row.line, row.reason)
                items.append(builder.build(row))
            except ImportRowError as exc:
                if rejects is None:
                    raise
                rejects.add(exc.line, exc.reason, _raw(row))
        _insert_chunk(session, items, record.id, gold_source, report, seed)
        if progress is not None:
            progress(len(chunk))
    if (
        report.items_added == 0
        and report.already_present == 0
        and rejects is not None
        and rejects.count
    ):
        raise ImportRowError(
            report.path, 0, f"every row was rejected ({rejects.count}); nothing to import"
        )
    record.rows_read = report.rows_read
    record.items_added = report.items_added
    record.duplicates = report.duplicates
    record.rejected = rejects.count if rejects else 0
    session.add(
        AuditLog(
            actor=actor,
            action="import",
            target=report.path,
            details={
                "items_added": report.items_added,
                "rows_read": report.rows_read,
                "already_present": report.already_present,
                "duplicates": report.duplicates,
                "rejected": record.rejected,
            },
        )
    )


def _raw(row: Row | BadRow) -> str:
    if isinstance(row, Row):
        return json.dumps(row.values, default=str)[:2000]
    return row.raw


def _chunks(rows: Iterable[Row | BadRow], size: int) -> Iterator[list[Row | BadRow]]:
    chunk: list[Row | BadRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _LazyGoldSource:
    """The id of the source of imported gold labels, created the first time it is needed."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._id: int | None = None

    def __call__(self) -> int:
        if self._id is None:
            self._id = _gold_source(self._session)
        return self._id


def _gold_source(session: Session) -> int:
    kind, name, version = GOLD_SOURCE
    found = session.scalar(
        select(Source.id).where(Source.kind == kind, Source.name == name, Source.version == version)
    )
    if found is not None:
        return found
    source = Source(
        kind=kind, name=name, version=version, definition={"about": "imported gold labels"}
    )
    session.add(source)
    session.flush()
    return source.id


def _insert_chunk(
    session: Session,
    items: list[dict[str, Any]],
    import_id: int,
    gold_source: Callable[[], int],
    report: ImportReport,
    seed: int,
) -> None:
    if not items:
        return
    hashes = list({it["content_hash"] for it in items})
    known: dict[str, str] = {}
    seen_here: dict[str, int] = {}
    for content_hash, item_id, from_this_import in session.execute(
        select(Item.content_hash, Item.item_id, Item.import_id == import_id).where(
            Item.content_hash.in_(hashes)
        )
    ):
        known.setdefault(content_hash, item_id)
        if from_this_import:
            seen_here[content_hash] = seen_here.get(content_hash, 0) + 1
    for it in items:
        if it["item_id"] is None:
            n = seen_here.get(it["content_hash"], 0) + 1
            seen_here[it["content_hash"]] = n
            it["item_id"] = it["content_hash"][:20] + (f"~{n}" if n > 1 else "")
    ids = [it["item_id"] for it in items]
    existing = set(session.scalars(select(Item.item_id).where(Item.item_id.in_(ids))))
    fresh: list[dict[str, Any]] = []
    in_chunk: set[str] = set()
    for it in items:
        if it["item_id"] in existing or it["item_id"] in in_chunk:
            report.already_present += 1
            continue
        in_chunk.add(it["item_id"])
        first = known.get(it["content_hash"])
        if first is not None:
            report.duplicates += 1
            if len(report.duplicate_examples) < _MAX_DUPLICATE_EXAMPLES:
                report.duplicate_examples.append((it["item_id"], first))
        else:
            known[it["content_hash"]] = it["item_id"]
        fresh.append(it)
    if not fresh:
        return
    keys = {it["item_id"]: random_key(it["item_id"], seed) for it in fresh}
    rows = [
        {
            "item_id": it["item_id"],
            "payload": it["payload"],
            "meta": it["meta"],
            "content_hash": it["content_hash"],
            "random_key": keys[it["item_id"]],
            "import_id": import_id,
        }
        for it in fresh
    ]
    pks = dict(session.execute(insert(Item).returning(Item.item_id, Item.pk), rows).all())
    labels, votes = [], []
    for it in fresh:
        pk = pks[it["item_id"]]
        gold = it["gold"]
        labels.append(
            {
                "item_pk": pk,
                "label": -1 if gold is None else gold,
                "status": "unlabeled" if gold is None else "gold",
                "confidence": None if gold is None else 1.0,
                "sources": None if gold is None else [gold_source()],
                "priority": unranked_priority(keys[it["item_id"]]),
            }
        )
        if gold is not None:
            votes.append(
                {"item_pk": pk, "source_id": gold_source(), "label": gold, "queue": "gold"}
            )
    session.execute(insert(Label), labels)
    if votes:
        session.execute(insert(Vote), votes)
    report.items_added += len(fresh)
    report.gold_labels += len(votes)


def random_key(item_id: str, seed: int = 0) -> float:
    """A uniform number in [0, 1) fixed by the item id and the project's seed: the audit
    sample's random order (a different seed gives an independent order)."""
    digest = hashlib.blake2b(f"{seed}:{item_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def unranked_priority(key: float) -> float:
    """The review-queue priority of an item no round has ranked: ``random_key - 1``, in
    [-1, 0), below every priority a round assigns (>= 0), in the fixed random order."""
    return key - 1.0


def count_items(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Item)) or 0


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
