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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy.orm import Session

from labelmill.data.delimited import TableOptions, check_binary, sniff_table
from labelmill.data.readers import BadRow, Row, detect_format, head_lines, read_rows, scan_file
from labelmill.enums import SourceKind, Status
from labelmill.exceptions import ConfigError, ImportRowError, InputError
from labelmill.ingest._columns import ColumnMap
from labelmill.ingest._leaks import LeakCheck
from labelmill.ingest._rejects import Rejects
from labelmill.ingest._rows import ItemBuilder, is_missing, plain
from labelmill.schema import Schema
from labelmill.store import Store
from labelmill.store.queries import items as item_sql
from labelmill.store.queries import queues as queue_sql
from labelmill.store.queries import sources as source_sql

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ImportReport", "OnError", "import_items", "random_key", "unranked_priority"]

OnError = Literal["fail", "skip"]
_CHUNK = 5_000
_MAX_DUPLICATE_EXAMPLES = 20


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
    predictions: int = 0
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
        if self.predictions:
            parts.append(f"{self.predictions} model predictions")
        if self.rejected:
            parts.append(f"{self.rejected} rejected (reasons in {self.rejects_path})")
        return "; ".join(parts)


def import_items(
    store: Store,
    schema: Schema,
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    columns: ColumnMap,
    fmt: str | None = None,
    encoding: str | None = None,
    table: TableOptions | None = None,
    on_error: OnError = "fail",
    rejects_path: str | os.PathLike[str] | None = None,
    actor: str = "library",
    progress: Callable[[int], None] | None = None,
    total_callback: Callable[[int], None] | None = None,
    seed: int = 0,
) -> ImportReport:
    """Import a file or DataFrame. See the module docstring; ``Project.import_items`` wraps this.

    ``table`` says how to read a CSV/TSV file; what it leaves open (``None``) is detected
    and reported in the notes (see :func:`labelmill.data.delimited.sniff_table`).
    """
    if on_error not in ("fail", "skip"):
        raise ConfigError(
            f"The 'on_error' parameter must be 'fail' or 'skip'. Got {on_error!r} instead."
        )
    rows, report, base, total = _open_source(
        source, fmt=fmt, encoding=encoding, table=table or TableOptions()
    )
    if total_callback is not None and total:
        total_callback(total)
    builder = ItemBuilder(schema, columns, base=base, path=report.path)
    builder.from_folder = report.format == "images"
    builder.label_studio = report.format == "label-studio"
    if builder.from_folder and columns.folder_labels == "meta":
        report.notes.append(
            "class folder names kept in the metadata column 'folder', hidden from rules "
            "(simulate with --oracle-column folder); no gold labels"
        )
    rejects = Rejects(report.path, rejects_path) if on_error == "skip" else None
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
    source: Any, *, fmt: str | None, encoding: str | None, table: TableOptions
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
        if not path.is_dir():
            raise InputError(f"{path}: --format images needs a folder of images.")
        return read_rows(path, fmt), report, path, 0
    if path.is_dir():
        raise InputError(f"{path} is a folder; import a file, or a folder of images.")
    if path.stat().st_size == 0:
        raise ImportRowError(str(path), 0, "the file is empty")
    info = scan_file(path, encoding=encoding, text=fmt != "parquet")
    if fmt != "parquet":
        check_binary(path, info.head, encoding=info.encoding)
    report.encoding = info.encoding
    report.notes.extend(info.notes)
    if fmt in ("csv", "tsv"):
        head = head_lines(path, info.encoding or "utf-8")
        table, notes = sniff_table(path, head, fmt, table)
        report.notes.extend(notes)
        total = max(info.lines - (1 if table.header else 0), 0)
    elif fmt == "parquet":
        total = _parquet_rows(path)
    else:
        total = info.lines if fmt == "jsonl" else 0
    rows = read_rows(path, fmt, encoding=info.encoding or "utf-8", table=table)
    return rows, report, path.parent, total


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
                n: (None if is_missing(v) else plain(v)) for n, v in zip(names, values, strict=True)
            }
            yield Row(start + offset + 1, record)


def _write(
    session: Session,
    rows: Iterator[Row | BadRow],
    builder: ItemBuilder,
    report: ImportReport,
    rejects: Rejects | None,
    actor: str,
    progress: Callable[[int], None] | None,
    seed: int,
) -> None:
    record = item_sql.start_import(session, report.path)
    gold_source = _LazyGoldSource(session)
    leaks: LeakCheck | None = None
    for chunk in _chunks(rows, _CHUNK):
        items = []
        for row in chunk:
            if isinstance(row, BadRow) and row.fatal:
                raise ImportRowError(report.path, row.line, row.reason)
            report.rows_read += 1
            if isinstance(row, Row) and not builder.checked_header:
                builder.check_header(row)  # a missing column stops the import in any mode
                report.notes.extend(builder.plan_notes)
                if builder.schema.data_type == "tabular":
                    leaks = LeakCheck(builder.schema, builder.features_of(row))
            try:
                if isinstance(row, BadRow):
                    raise ImportRowError(report.path, row.line, row.reason)
                item = builder.build(row)
            except ImportRowError as exc:
                if rejects is None:
                    raise
                rejects.add(exc.line, exc.reason, _raw(row))
                continue
            items.append(item)
            if leaks is not None:
                leaks.add(item["payload"], item["gold"])
        _insert_chunk(session, items, record.id, gold_source, report, seed)
        if progress is not None:
            progress(len(chunk))
    if leaks is not None:
        report.notes.extend(leaks.notes())
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
    details = {
        "items_added": report.items_added,
        "rows_read": report.rows_read,
        "already_present": report.already_present,
        "duplicates": report.duplicates,
        "rejected": record.rejected,
    }
    queue_sql.log_action(session, actor, "import", report.path, details)


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
            kind, name, version = source_sql.GOLD_SOURCE
            definition = {"about": "imported gold labels"}
            self._id = source_sql.get_or_create_source(
                self._session, kind, name, version, definition=definition
            )
        return self._id


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
    for content_hash, item_id, from_this_import in item_sql.existing_hashes(
        session, hashes, import_id
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
    existing = item_sql.existing_ids(session, ids)
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
    pks = item_sql.insert_items(session, rows)
    labels, votes = [], []
    for it in fresh:
        pk = pks[it["item_id"]]
        gold = it["gold"]
        labels.append(
            {
                "item_pk": pk,
                "label": -1 if gold is None else gold,
                "status": Status.UNLABELED if gold is None else Status.GOLD,
                "confidence": None if gold is None else 1.0,
                "sources": None if gold is None else [gold_source()],
                "priority": unranked_priority(it["item_id"], seed),
            }
        )
        if gold is not None:
            votes.append(
                {
                    "item_pk": pk,
                    "source_id": gold_source(),
                    "label": gold,
                    "queue": Status.GOLD,
                    "score": None,
                }
            )
    gold_votes = len(votes)
    models: dict[str, int] = {}
    for it in fresh:
        for model, label, score in it.get("votes") or ():
            if model not in models:
                models[model] = _model_source(session, model)
            votes.append(
                {
                    "item_pk": pks[it["item_id"]],
                    "source_id": models[model],
                    "label": label,
                    "queue": None,
                    "score": score,
                }
            )
    item_sql.insert_labels(session, labels)
    item_sql.insert_raw_votes(session, votes)
    report.items_added += len(fresh)
    report.gold_labels += gold_votes
    report.predictions += len(votes) - gold_votes


def _model_source(session: Session, model: str) -> int:
    """The source of the predictions a Label Studio file brought for ``model``: a model
    source (``label-studio:MODEL``), whose votes every round aggregates with the rules'."""
    return source_sql.get_or_create_source(
        session,
        SourceKind.MODEL,
        f"label-studio:{model}"[:200],
        "1",
        definition={"about": "predictions imported from Label Studio", "model": model},
    )


def random_key(item_id: str, seed: int = 0) -> float:
    """A uniform number in [0, 1) fixed by the item id and the project's seed: the audit
    sample's random order (a different seed gives an independent order)."""
    digest = hashlib.blake2b(f"{seed}:{item_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def unranked_priority(item_id: str, seed: int = 0) -> float:
    """The review-queue priority of an item no round has ranked: a second uniform number,
    minus 1 (in [-1, 0), below every priority a round assigns, >= 0). It comes from its own
    hash, independent of :func:`random_key`, so the review queue's choices never depend on
    the audit sample's random order."""
    digest = hashlib.blake2b(f"review:{seed}:{item_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 - 1.0
