"""Export a project's labeled data set: files (jsonl, csv, parquet, Label Studio JSON, a
Hugging Face folder).

Every exported row has the item ``id`` as imported, the ``label`` (class name, a list of
names for multi-label, ``None`` while there is none), the ``status``, the ``confidence``,
the ``posterior`` (one probability per class, in schema order; for items people answered,
their answer: see :mod:`labelmill.export._people`), and provenance: ``sources`` (the
sources the label came from: the rules and models that voted on the item for a machine
label, the person for a person's), ``votes`` (every current vote on the item: source and
class), the ``model`` and ``featurizer`` (with versions) of the round that decided a
machine label and that ``round``; then the payload (``text``, ``image`` path, or the
table's columns) and the item's metadata columns.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from labelmill.data.label_studio import make_task, to_name_for
from labelmill.data.writers import EXPORT_FORMATS, check_output_path, open_writer
from labelmill.enums import Queue, SourceKind, Status
from labelmill.exceptions import ConfigError
from labelmill.export._people import answers_by_item, with_people_targets
from labelmill.schema import Schema
from labelmill.store import Item, Label, Store
from labelmill.store.queries import items as item_sql
from labelmill.store.queries import sources as source_sql
from labelmill.store.queries import team as team_sql

__all__ = ["RESERVED", "check_statuses", "export_format", "export_rows", "iter_export_rows"]

RESERVED = (
    "id",
    "label",
    "status",
    "confidence",
    "posterior",
    "sources",
    "votes",
    "model",
    "featurizer",
    "round",
    "comments",
    "skips",
)
_CHUNK = 5_000
_SUFFIXES = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "label-studio",
}
_MACHINE = (Status.AUTO, Status.REVIEW)


def export_format(path: str | os.PathLike[str], fmt: str | None) -> str:
    """The export format: ``fmt``, or from the suffix of ``path`` (``.json`` is Label Studio
    JSON; a path without a suffix, a Hugging Face data set folder, needs ``fmt="hf"``).

    Raises
    ------
    ConfigError
        An unknown format, or a suffix that names none.
    """
    chosen = fmt or _SUFFIXES.get(Path(path).suffix.lower(), "")
    if chosen not in EXPORT_FORMATS:
        if fmt:
            raise ConfigError(
                f"The export format must be one of {', '.join(EXPORT_FORMATS)}. Got {fmt!r} "
                "instead."
            )
        raise ConfigError(
            f"Cannot tell the export format of {path}; pass --format with one of "
            f"{', '.join(EXPORT_FORMATS)} (.jsonl, .csv, .parquet, .json = label-studio; hf "
            "writes a folder)."
        )
    return chosen


def export_rows(
    store: Store,
    schema: Schema,
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    statuses: Sequence[str] | None = None,
    overwrite: bool = True,
) -> int:
    """Write the project's rows to ``path``; the format comes from ``fmt`` or the suffix.

    The file appears complete or not at all, with the permissions the umask allows.
    Returns the number of rows written.

    Raises
    ------
    ConfigError
        An unknown format or status, or a path that cannot be written (its folder missing
        or read-only, or the path existing while ``overwrite`` is false).
    """
    fmt = export_format(path, fmt)
    check_statuses(statuses)
    target = check_output_path(path, overwrite=overwrite, folder=fmt == "hf")
    if fmt == "hf":
        return _export_hf(store, schema, target, statuses)
    columns, types = _columns(schema, fmt)
    writer = open_writer(target, fmt, columns=columns, types=types)
    try:
        for page in _pages(store, schema, statuses, _CHUNK):
            if fmt == "label-studio":
                writer.write([_task(item, row, schema) for item, row in page])
            else:
                writer.write([row for _item, row in page])
    except BaseException:
        writer.abort()
        raise
    writer.close()
    return writer.rows


def _export_hf(store: Store, schema: Schema, target: Path, statuses: Sequence[str] | None) -> int:
    """A Hugging Face data set saved to the folder ``target`` (built next to it, then moved
    into place): the rows and columns of the other formats (unlabeled items, provenance and
    metadata included), with ``label`` a ``ClassLabel`` (a list of them for multi-label)."""
    try:
        import datasets
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ConfigError(
            "The hf format needs the 'datasets' package: pip install 'labelmill[hf]'."
        ) from None
    import pyarrow.parquet as pq

    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
    try:
        columns, types = _columns(schema, "parquet")
        writer = open_writer(staging / "rows.parquet", "parquet", columns=columns, types=types)
        try:
            for page in _pages(store, schema, statuses, _CHUNK):
                writer.write([row for _item, row in page])
        except BaseException:
            writer.abort()
            raise
        writer.close()
        class_label = datasets.ClassLabel(names=list(schema.classes))
        bars = datasets.is_progress_bar_enabled()
        datasets.disable_progress_bars()
        try:
            dataset = datasets.Dataset(pq.read_table(staging / "rows.parquet"))
            dataset = dataset.cast_column(
                "label", datasets.Sequence(class_label) if schema.multilabel else class_label
            )
            dataset.save_to_disk(str(staging / "data"))
        finally:
            if bars:
                datasets.enable_progress_bars()
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging / "data", target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return int(dataset.num_rows)


def iter_export_rows(
    store: Store,
    schema: Schema,
    *,
    statuses: Sequence[str] | None = None,
    chunk_size: int = _CHUNK,
) -> Iterator[list[dict[str, Any]]]:
    """Yield the export rows in import order, ``chunk_size`` at a time (bounded memory)."""
    check_statuses(statuses)
    for page in _pages(store, schema, statuses, chunk_size):
        yield [row for _item, row in page]


def _pages(
    store: Store, schema: Schema, statuses: Sequence[str] | None, chunk_size: int
) -> Iterator[list[tuple[Item, dict[str, Any]]]]:
    """(item, export row) pairs in import order, a page at a time."""
    with store.session() as session:
        source_names = source_sql.source_names(session)
    last = 0
    while True:
        with store.session() as session:
            pairs = item_sql.export_page(session, last, chunk_size, statuses)
            if not pairs:
                return
            pks = [item.pk for item, _label in pairs]
            votes = source_sql.current_votes(session, pks)
            rounds = {label.round_id for _item, label in pairs if label.round_id is not None}
            versions = source_sql.model_versions(session, rounds)
            notes: dict[int, dict[str, list[dict[str, Any]]]] = {}
            for _id, pk, user, text, at in team_sql.comments_of(session, pks):
                notes.setdefault(pk, {"comments": [], "skips": []})["comments"].append(
                    {"user": user, "text": text, "at": _iso(at)}
                )
            for pk, user, queue, reason, at in team_sql.skips_of(session, pks):
                notes.setdefault(pk, {"comments": [], "skips": []})["skips"].append(
                    {"user": user, "queue": queue, "reason": reason, "at": _iso(at)}
                )
        last = pairs[-1][0].pk
        by_item: dict[int, list[source_sql.CurrentVote]] = {}
        for vote in votes:
            by_item.setdefault(vote[0], []).append(vote)
        answers = answers_by_item(votes)
        yield [
            (
                item,
                _row(
                    item,
                    label,
                    schema,
                    source_names,
                    by_item.get(item.pk, []),
                    answers.get(item.pk),
                    versions.get(label.round_id or -1, {}),
                    notes.get(item.pk, {}),
                ),
            )
            for item, label in pairs
        ]


def _row(
    item: Item,
    label: Label,
    schema: Schema,
    source_names: dict[int, str],
    votes: list[source_sql.CurrentVote],
    answers: dict[str, list[int]] | None,
    versions: dict[str, Any],
    notes: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    posterior, people_confidence = with_people_targets(
        schema, label.status, label.label, label.posterior, answers
    )
    machine = label.status in _MACHINE
    row: dict[str, Any] = {
        "id": item.item_id,
        "label": schema.decode(label.label),
        "status": label.status,
        "confidence": people_confidence if people_confidence is not None else label.confidence,
        "posterior": posterior,
        "sources": [source_names.get(s, str(s)) for s in label.sources or []],
        "votes": [
            {
                "source": f"{kind}:{name}@{version}",
                "label": schema.decode(value),
                **({"queue": queue} if queue else {}),
            }
            for _pk, _sid, kind, name, version, value, _score, queue in votes
        ],
        "model": versions.get("end_model") if machine else None,
        "featurizer": versions.get("featurizer") if machine else None,
        "round": label.round_id,
        "comments": notes.get("comments", []),
        "skips": notes.get("skips", []),
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


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _columns(schema: Schema, fmt: str) -> tuple[list[str], dict[str, Any]]:
    """The columns every export has (the header of an empty CSV, the schema of an empty
    Parquet file) and the Parquet types of the reserved ones."""
    columns = list(RESERVED)
    if schema.data_type in ("text", "image"):
        columns.append(schema.data_type)
    else:
        columns.extend(schema.fields)
    if fmt != "parquet":
        return columns, {}
    import pyarrow as pa

    names = pa.list_(pa.string()) if schema.multilabel else pa.string()
    vote = pa.struct(
        [pa.field("source", pa.string()), pa.field("label", names), pa.field("queue", pa.string())]
    )
    types = {
        "id": pa.string(),
        "label": names,
        "status": pa.string(),
        "confidence": pa.float64(),
        "posterior": pa.list_(pa.float64()),
        "sources": pa.list_(pa.string()),
        "votes": pa.list_(vote),
        "model": pa.string(),
        "featurizer": pa.string(),
        "round": pa.int64(),
        "comments": pa.list_(
            pa.struct([("user", pa.string()), ("text", pa.string()), ("at", pa.string())])
        ),
        "skips": pa.list_(
            pa.struct(
                [
                    ("user", pa.string()),
                    ("queue", pa.string()),
                    ("reason", pa.string()),
                    ("at", pa.string()),
                ]
            )
        ),
    }
    if schema.data_type in ("text", "image"):
        types[schema.data_type] = pa.string()
    return columns, types


def _task(item: Item, row: dict[str, Any], schema: Schema) -> dict[str, Any]:
    """An export row as a Label Studio task: the payload and metadata are its data, people's
    answers its annotations (gold ones ground truth), a machine label its prediction."""
    data: dict[str, Any] = {"id": row["id"]}
    if schema.data_type in ("text", "image"):
        data[schema.data_type] = item.payload
    else:
        data["item"] = item.payload
    for key, value in (item.meta or {}).items():
        data[key if key not in data else f"meta.{key}"] = value
    annotations = []
    for vote in row["votes"]:
        kind = vote["source"].split(":", 1)[0]
        names = _names(vote["label"])
        if kind == SourceKind.HUMAN:
            annotations.append((names, vote.get("queue") == Queue.AUDIT))
        elif kind == SourceKind.CROWD:
            annotations.append((names, False))
        elif vote["source"].startswith("import:gold@"):
            annotations.append((names, True))
    prediction = None
    if row["status"] in _MACHINE and row["label"] is not None:
        model = f"labelmill round {row['round']}" if row["round"] is not None else "labelmill"
        prediction = (_names(row["label"]), row["confidence"], model)
    return make_task(
        data,
        to_name=to_name_for(schema.data_type),
        annotations=annotations,
        prediction=prediction,
    )


def _names(label: Any) -> list[str]:
    return [str(x) for x in label] if isinstance(label, list) else [str(label)]


def check_statuses(statuses: Sequence[str] | None) -> None:
    """Raise :class:`ConfigError` unless every name in ``statuses`` is a :class:`Status`."""
    known = [s.value for s in Status]
    unknown = sorted(set(statuses or ()) - set(known))
    if unknown:
        raise ConfigError(f"Unknown status(es) {unknown}. Expected some of {', '.join(known)}.")
