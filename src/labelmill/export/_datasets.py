"""The labeled data set as a PyTorch ``Dataset`` or a Hugging Face ``datasets.Dataset``.

Targets of items people answered (``human``, ``gold``) are their answers, also as soft
labels (see :mod:`labelmill.export._people`); ``auto`` and ``review`` items carry the
round's calibrated posterior.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from labelmill.exceptions import ConfigError, ProjectError
from labelmill.export._people import PEOPLE_STATUSES, answers_by_item, with_people_targets
from labelmill.export._rows import check_statuses
from labelmill.schema import Schema
from labelmill.store import Store
from labelmill.store.queries import items as item_sql
from labelmill.store.queries import sources as source_sql

__all__ = ["hf_dataset", "to_hf_dataset", "to_torch_dataset"]

LabeledRow = tuple[
    str, Any, int, str, Any, float | None
]  # id, payload, label, status, posterior, conf


class _HasStore(Protocol):
    """What the data set builders need of a :class:`~labelmill.Project`."""

    store: Store
    schema: Schema


def _labeled_rows(store: Store, schema: Schema, statuses: Sequence[str] | None) -> list[LabeledRow]:
    """(id, payload, label, status, posterior, confidence) of the labeled items of
    ``statuses``, people's answers as the posterior of the items they answered.

    Raises
    ------
    ProjectError
        No item qualifies: says how many items each status has and what to do.
    """
    check_statuses(statuses)
    with store.session() as session:
        rows = item_sql.labeled_rows(session, statuses)
        answered = [r[0] for r in rows if r[4] in PEOPLE_STATUSES]
        answers = answers_by_item(source_sql.current_votes(session, answered))
        if not rows:
            counts = item_sql.status_counts(session)
    if not rows:
        raise ProjectError(_empty_reason(statuses, counts))
    out: list[LabeledRow] = []
    for pk, item_id, payload, label, status, posterior, stored in rows:
        target, confidence = with_people_targets(schema, status, label, posterior, answers.get(pk))
        out.append(
            (item_id, payload, label, status, target, stored if confidence is None else confidence)
        )
    return out


def _empty_reason(statuses: Sequence[str] | None, counts: dict[str, int]) -> str:
    wanted = f"status {', '.join(statuses)}" if statuses else "a label"
    total = sum(counts.values())
    if total == 0:
        return "The data set is empty: the project has no items yet; import some first."
    have = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()) if n)
    hint = (
        "Run a labeling round first (labelmill run / Project.run_round): it gives every item "
        "a label, and auto-accepts those the audit certifies."
        if set(counts) <= {"unlabeled"}
        else "Answer items (review queue), run another round, or pass statuses=None for "
        "every labeled item."
    )
    return f"The data set is empty: no item has {wanted} (the project has {have}). {hint}"


def to_torch_dataset(
    project: _HasStore,
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
        vector). ``True``: ``y`` is a probability vector (float32): the round's posterior
        for ``auto`` and ``review`` items, people's answers for ``human`` and ``gold``
        items (one-hot; the share of each class where several people disagreed); items
        with no posterior yet get the one-hot of their label.
    statuses : sequence of str or None
        Which items to include (default: the accepted ones: auto, human, gold); ``None``
        for every item that has a label.
    transform : callable, optional
        Applied to the payload (text, image path, or row dict) to make ``x``.

    Raises
    ------
    ProjectError
        No item has one of ``statuses`` (for instance before the first round): the
        message says what the project has and what to do.
    """
    import torch
    from torch.utils.data import Dataset

    rows = _labeled_rows(project.store, project.schema, statuses)
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
        statuses = [r[3] for r in rows]

        def __len__(self) -> int:
            return len(rows)

        def __getitem__(self, index: int) -> tuple[Any, Any]:
            _id, payload, label, _status, posterior, _conf = rows[index]
            x = transform(payload) if transform is not None else payload
            return x, target(label, posterior)

    return LabelmillDataset()


def to_hf_dataset(
    project: _HasStore, *, statuses: Sequence[str] | None = ("auto", "human", "gold")
) -> Any:
    """A Hugging Face ``datasets.Dataset`` with ``id``, the payload, a ``ClassLabel`` label,
    ``status``, ``confidence`` and ``posterior`` (people's answers for the items they
    answered, as in :func:`to_torch_dataset`).

    Needs the optional dependency ``datasets`` (``pip install labelmill[hf]``).

    Raises
    ------
    ProjectError
        No item has one of ``statuses``.
    """
    return hf_dataset(project.store, project.schema, statuses=statuses)


def hf_dataset(
    store: Store, schema: Schema, *, statuses: Sequence[str] | None = ("auto", "human", "gold")
) -> Any:
    """:func:`to_hf_dataset` over a store and schema (the engine-level form)."""
    try:
        import datasets
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ConfigError(
            "to_hf_dataset needs the 'datasets' package: pip install 'labelmill[hf]'."
        ) from None
    rows = _labeled_rows(store, schema, statuses)
    payload_name = {"text": "text", "image": "image"}.get(schema.data_type, "data")
    class_label = datasets.ClassLabel(names=list(schema.classes))
    label_feature: Any = datasets.Sequence(class_label) if schema.multilabel else class_label
    features = datasets.Features(
        {
            "id": datasets.Value("string"),
            payload_name: datasets.Value("string"),
            "label": label_feature,
            "status": datasets.Value("string"),
            "confidence": datasets.Value("float32"),
            "posterior": datasets.Sequence(datasets.Value("float32")),
        }
    )

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
            "status": [r[3] for r in rows],
            "confidence": [r[5] for r in rows],
            "posterior": [r[4] or [] for r in rows],
        },
        features=features,
    )
