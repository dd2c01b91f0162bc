"""Export a project's labeled data set: files, a PyTorch ``Dataset``, a Hugging Face ``Dataset``.

Every exported row has the item ``id`` as imported, the ``label`` (class name, a list of
names for multi-label, ``None`` while there is none), the ``status``, the ``confidence``,
the ``posterior`` (one probability per class, in schema order), the payload (``text``,
``image`` path, or the table's columns), the item's metadata columns, and provenance:
the ``sources`` whose votes produced the label and the ``round`` that decided it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from labelmill.data.writers import EXPORT_FORMATS, open_writer
from labelmill.exceptions import ConfigError
from labelmill.store import Item, Label, Source
from labelmill.store.models import STATUSES

if TYPE_CHECKING:
    from labelmill.project import Project

__all__ = ["export_project", "iter_export_rows", "to_hf_dataset", "to_torch_dataset"]

RESERVED = ("id", "label", "status", "confidence", "posterior", "sources", "round")
_CHUNK = 5_000


def export_project(
    project: Project,
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
        for chunk in iter_export_rows(project, statuses=statuses):
            writer.write(chunk)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    return writer.rows


def iter_export_rows(
    project: Project, *, statuses: Sequence[str] | None = None, chunk_size: int = _CHUNK
) -> Iterator[list[dict[str, Any]]]:
    """Yield the export rows in import order, ``chunk_size`` at a time (bounded memory)."""
    _check_statuses(statuses)
    schema = project.schema
    with project.store.session() as session:
        source_names = {
            s.id: f"{s.kind}:{s.name}@{s.version}" for s in session.scalars(select(Source))
        }
    last = 0
    while True:
        query = (
            select(Item, Label)
            .join(Label, Label.item_pk == Item.pk)
            .where(Item.pk > last)
            .order_by(Item.pk)
            .limit(chunk_size)
        )
        if statuses:
            query = query.where(Label.status.in_(list(statuses)))
        with project.store.session() as session:
            pairs = session.execute(query).all()
        if not pairs:
            return
        last = pairs[-1][0].pk
        yield [_row(item, label, schema, source_names) for item, label in pairs]


def _row(item: Item, label: Label, schema: Any, source_names: dict[int, str]) -> dict[str, Any]:
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


def _check_statuses(statuses: Sequence[str] | None) -> None:
    unknown = sorted(set(statuses or ()) - set(STATUSES))
    if unknown:
        raise ConfigError(f"Unknown status(es) {unknown}. Expected some of {', '.join(STATUSES)}.")


def _labeled_rows(
    project: Project, statuses: Sequence[str] | None
) -> list[tuple[str, Any, int, list[float] | None]]:
    _check_statuses(statuses)
    query = (
        select(Item.item_id, Item.payload, Label.label, Label.posterior)
        .join(Label, Label.item_pk == Item.pk)
        .where(Label.label != -1)
        .order_by(Item.pk)
    )
    if statuses:
        query = query.where(Label.status.in_(list(statuses)))
    with project.store.session() as session:
        return [tuple(r) for r in session.execute(query).all()]  # type: ignore[misc]


def to_torch_dataset(
    project: Project,
    *,
    soft: bool = False,
    statuses: Sequence[str] | None = ("auto", "human", "gold"),
    transform: Callable[[Any], Any] | None = None,
) -> Any:
    """A ``torch.utils.data.Dataset`` of ``(x, y)`` pairs over the labeled items.

    Parameters
    ----------
    project : Project
    soft : bool
        ``False``: ``y`` is the class index (int64 tensor; for multi-label, a 0/1 float
        vector). ``True``: ``y`` is the posterior (float32 vector); items with no
        posterior yet get the one-hot of their label.
    statuses : sequence of str or None
        Which items to include (default: the accepted ones: auto, human, gold); ``None``
        for every item that has a label.
    transform : callable, optional
        Applied to the payload (text, image path, or row dict) to make ``x``.
    """
    import torch
    from torch.utils.data import Dataset

    rows = _labeled_rows(project, statuses)
    k = project.schema.cardinality
    multilabel = project.schema.multilabel

    def target(label: int, posterior: list[float] | None) -> Any:
        if multilabel:
            return torch.tensor([label >> c & 1 for c in range(k)], dtype=torch.float32)
        if soft:
            probs = posterior if posterior is not None else [float(c == label) for c in range(k)]
            return torch.tensor(probs, dtype=torch.float32)
        return torch.tensor(label, dtype=torch.int64)

    class LabelmillDataset(Dataset):  # type: ignore[type-arg]
        classes = list(project.schema.classes)
        ids = [r[0] for r in rows]

        def __len__(self) -> int:
            return len(rows)

        def __getitem__(self, index: int) -> tuple[Any, Any]:
            _id, payload, label, posterior = rows[index]
            x = transform(payload) if transform is not None else payload
            return x, target(label, posterior)

    return LabelmillDataset()


def to_hf_dataset(
    project: Project, *, statuses: Sequence[str] | None = ("auto", "human", "gold")
) -> Any:
    """A Hugging Face ``datasets.Dataset`` with ``id``, the payload and a ``ClassLabel`` label.

    Needs the optional dependency ``datasets`` (``pip install labelmill[hf]``).
    """
    try:
        import datasets
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ConfigError(
            "to_hf_dataset needs the 'datasets' package: pip install 'labelmill[hf]'."
        ) from None
    schema = project.schema
    rows = _labeled_rows(project, statuses)
    payload_name = {"text": "text", "image": "image"}.get(schema.data_type, "data")
    class_label = datasets.ClassLabel(names=list(schema.classes))
    label_feature: Any = datasets.Sequence(class_label) if schema.multilabel else class_label
    features = datasets.Features(
        {
            "id": datasets.Value("string"),
            payload_name: datasets.Value("string"),
            "label": label_feature,
            "posterior": datasets.Sequence(datasets.Value("float32")),
        }
    )
    import json

    def payload(value: Any) -> str:
        return value if isinstance(value, str) else json.dumps(value, sort_keys=True)

    def label_value(label: int) -> Any:
        if schema.multilabel:
            return [c for c in range(schema.cardinality) if label >> c & 1]
        return label

    return datasets.Dataset.from_dict(
        {
            "id": [r[0] for r in rows],
            payload_name: [payload(r[1]) for r in rows],
            "label": [label_value(r[2]) for r in rows],
            "posterior": [r[3] or [] for r in rows],
        },
        features=features,
    )
