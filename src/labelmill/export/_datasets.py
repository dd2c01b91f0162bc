"""The labeled data set as a PyTorch ``Dataset`` or a Hugging Face ``datasets.Dataset``."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from labelmill.exceptions import ConfigError
from labelmill.export._rows import check_statuses
from labelmill.schema import Schema
from labelmill.store import Store
from labelmill.store.queries import items as item_sql

__all__ = ["to_hf_dataset", "to_torch_dataset"]


class _HasStore(Protocol):
    """What the data set builders need of a :class:`~labelmill.Project`."""

    store: Store
    schema: Schema


def _labeled_rows(
    store: Store, statuses: Sequence[str] | None
) -> list[tuple[str, Any, int, list[float] | None]]:
    check_statuses(statuses)
    with store.session() as session:
        rows = item_sql.labeled_rows(session, statuses)
    return [
        (item_id, payload, label, posterior) for _pk, item_id, payload, label, _s, posterior in rows
    ]


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

    rows = _labeled_rows(project.store, statuses)
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
    project: _HasStore, *, statuses: Sequence[str] | None = ("auto", "human", "gold")
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
    rows = _labeled_rows(project.store, statuses)
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
