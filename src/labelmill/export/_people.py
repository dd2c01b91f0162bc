"""The target of an item people answered: their label, not the model's prediction.

An item whose status is ``human`` or ``gold`` carries the label people gave it; its
``posterior`` in the store is whatever the last round predicted before they answered. Every
export path (files, Label Studio, PyTorch, Hugging Face) reads posteriors through
:func:`people_posterior`, so a person's label is the target wherever it exists:

- ``gold``: the blind audit answers (or, without any, the imported gold label);
- ``human``: the review answers;
- one answer, or several that agree: one-hot; several that disagree: the share of the
  answers each class got (for multi-label: per class, the share of answers that chose it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from labelmill.enums import Queue, SourceKind, Status
from labelmill.schema import Schema
from labelmill.store.queries.sources import GOLD_SOURCE, CurrentVote

__all__ = ["PEOPLE_STATUSES", "answers_by_item", "people_posterior", "with_people_targets"]

PEOPLE_STATUSES = (Status.HUMAN, Status.GOLD)


def answers_by_item(
    votes: Iterable[CurrentVote],
) -> dict[int, dict[str, list[int]]]:
    """item_pk -> {"audit": [...], "review": [...], "gold": [...], "crowd": [...]}: the
    current answers of people (and imported gold) on each item, by where they came from."""
    out: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    gold_kind, gold_name, _version = GOLD_SOURCE
    for pk, _sid, kind, name, _version, label, _score, queue in votes:
        if kind == SourceKind.HUMAN:
            out[pk][Queue.AUDIT if queue == Queue.AUDIT else Queue.REVIEW].append(label)
        elif kind == SourceKind.CROWD:
            out[pk][Queue.CROWD].append(label)
        elif kind == gold_kind and name == gold_name:
            out[pk]["gold"].append(label)
    return out


def people_posterior(
    schema: Schema, status: str, label: int, answers: dict[str, list[int]] | None
) -> list[float]:
    """The target of an item people answered (see the module docstring).

    Parameters
    ----------
    schema : Schema
    status : {"human", "gold"}
    label : int
        The item's stored label (class, or bit mask for multi-label).
    answers : dict or None
        The item's entry of :func:`answers_by_item`.

    Returns
    -------
    list of float
        One value per class, in schema order.
    """
    answers = answers or {}
    if status == Status.GOLD:
        given = answers.get(Queue.AUDIT) or answers.get("gold") or []
    else:
        given = answers.get(Queue.REVIEW) or []
    if label not in given:  # answers that no longer hold (e.g. withdrawn): the stored label
        given = [label]
    return _shares(schema, given)


def _shares(schema: Schema, labels: Sequence[int]) -> list[float]:
    k = schema.cardinality
    n = len(labels)
    if schema.multilabel:
        return [round(sum(label >> c & 1 for label in labels) / n, 5) for c in range(k)]
    return [round(sum(label == c for label in labels) / n, 5) for c in range(k)]


def with_people_targets(
    schema: Schema, status: str, label: int, posterior: Any, answers: dict[str, list[int]] | None
) -> tuple[Any, float | None]:
    """(posterior, confidence) to export: people's for ``human``/``gold`` items, else as
    stored (``None`` when there is no label)."""
    if status in PEOPLE_STATUSES and label != -1:
        target = people_posterior(schema, status, label, answers)
        if not schema.multilabel:
            return target, target[label]
        chosen = [target[c] for c in range(schema.cardinality) if label >> c & 1]
        return target, min(chosen) if chosen else 1.0
    return posterior, None
