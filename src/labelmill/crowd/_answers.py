"""Crowd answers (item, worker, label rows) checked and encoded as a vote matrix."""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from labelmill.exceptions import InputError
from labelmill.labelmodel import VoteMatrix
from labelmill.utils._validation import check_choice

__all__ = ["EncodedAnswers", "DUPLICATE_POLICIES", "check_answers", "encode_answers"]

COLUMNS = ("item", "worker", "label")
DUPLICATE_POLICIES = ("merge", "last", "first", "all")


@dataclass(frozen=True)
class EncodedAnswers:
    """Answers as integer codes plus the tables that decode them.

    Attributes
    ----------
    votes : VoteMatrix
        ``(n_items, n_workers)`` votes; a worker's repeated answers on an item are merged
        according to the duplicate policy.
    items : pandas.Index
        Item ids, in row order of ``votes``.
    workers : pandas.Index
        Worker ids, in column order.
    classes : list
        Class labels; class index ``c`` is ``classes[c]``.
    codes : pandas.DataFrame
        One row per kept answer: ``item``, ``worker``, ``label`` codes and ``weight``.
    """

    votes: VoteMatrix
    items: pd.Index
    workers: pd.Index
    classes: list[Any]
    codes: pd.DataFrame


def check_answers(answers: Any, owner: str) -> pd.DataFrame:
    """Check the answers table: columns item, worker, label; no missing values; not empty.

    Parameters
    ----------
    answers : pandas.DataFrame with columns ``item``, ``worker``, ``label`` (others are
        ignored), or an iterable of ``(item, worker, label)`` tuples.
    owner : str
        Function name for error messages.

    Returns
    -------
    pandas.DataFrame with exactly the three columns, in the original row order.

    Raises
    ------
    InputError
        Missing columns, no rows, or a missing item, worker or label.
    """
    if not isinstance(answers, pd.DataFrame):
        if isinstance(answers, (str, bytes)) or not hasattr(answers, "__iter__"):
            raise InputError(
                f"answers passed to {owner} must be a DataFrame with columns item, worker, "
                f"label (or an iterable of (item, worker, label) tuples). Got "
                f"{type(answers).__name__}."
            )
        rows = list(answers)
        bad = next((i for i, r in enumerate(rows) if not _is_triple(r)), None)
        if bad is not None:
            raise InputError(
                f"answers passed to {owner} must hold (item, worker, label) triples; row {bad} "
                f"is {rows[bad]!r}."
            )
        answers = pd.DataFrame(rows, columns=list(COLUMNS))
    missing = [c for c in COLUMNS if c not in answers.columns]
    if missing:
        raise InputError(
            f"answers passed to {owner} lacks column(s) {missing}; it needs item, worker and "
            f"label. Got columns {list(answers.columns)}; rename them first."
        )
    table = answers.loc[:, list(COLUMNS)]
    if len(table) == 0:
        raise InputError(
            f"answers passed to {owner} has no rows. There is nothing to aggregate yet: collect "
            "some answers first."
        )
    for col in COLUMNS:
        null = table[col].isna().to_numpy()
        if null.any():
            pos = int(np.flatnonzero(null)[0])
            what = "label" if col == "label" else f"{col} id"
            raise InputError(
                f"answers passed to {owner} has a missing {what} (NaN/None) in column '{col}' "
                f"at row {pos} ({int(null.sum())} such rows). Drop those rows or fill them in."
            )
    return table


def _is_triple(row: Any) -> bool:
    return isinstance(row, Sequence) and not isinstance(row, (str, bytes)) and len(row) == 3


def _class_list(labels: pd.Series, classes: Sequence[Hashable] | None, owner: str) -> list[Any]:
    if classes is not None:
        listed = list(classes)
        if len(listed) < 2:
            raise InputError(
                f"classes passed to {owner} must list at least 2 classes. Got {listed!r}."
            )
        if len(set(listed)) != len(listed):
            dup = next(c for c in listed if listed.count(c) > 1)
            raise InputError(f"classes passed to {owner} lists {dup!r} twice; list each once.")
        known = pd.Index(listed)
        unknown = ~labels.isin(known).to_numpy()
        if unknown.any():
            pos = int(np.flatnonzero(unknown)[0])
            values = pd.unique(labels[unknown])[:5].tolist()
            raise InputError(
                f"answers passed to {owner} holds label(s) {values} that are not in classes "
                f"{listed!r} ({int(unknown.sum())} answers; first at row {pos}). Fix the answers "
                "or add the classes."
            )
        return listed
    uniq = pd.unique(labels).tolist()
    if len(uniq) < 2:
        raise InputError(
            f"answers passed to {owner} hold a single label ({uniq[0]!r}), so the other classes "
            "are unknown. Pass classes=[...] listing every class."
        )
    with contextlib.suppress(TypeError):  # mixed types: keep the order of first appearance
        uniq = sorted(uniq)
    return list(uniq)


def encode_answers(
    answers: Any,
    *,
    classes: Sequence[Hashable] | None = None,
    duplicates: str = "merge",
    owner: str = "encode_answers",
) -> EncodedAnswers:
    """Encode crowd answers as a vote matrix (workers are sources).

    Parameters
    ----------
    answers : DataFrame with columns ``item``, ``worker``, ``label`` (any hashable values),
        or an iterable of ``(item, worker, label)`` tuples.
    classes : sequence or None, default=None
        All class labels, in the order that defines class indices; answers outside it are
        an error. ``None`` takes the labels that occur, sorted (order of first appearance
        when they cannot be sorted). A class nobody answered still gets a column when
        listed here.
    duplicates : {"merge", "last", "first", "all"}, default="merge"
        A worker's repeated answers on one item. ``"merge"``: one vote per (item, worker);
        identical repeats count once and conflicting answers share it in proportion to
        how often each was given. ``"last"`` / ``"first"``: keep only the last / first
        answer in row order (answers as corrections). ``"all"``: every answer is a vote of
        its own (what most other tools do).
    owner : str
        Function name for error messages.

    Returns
    -------
    EncodedAnswers

    Raises
    ------
    InputError
        Bad table (see :func:`check_answers`), or a label outside ``classes``.
    ConfigError
        Unknown ``duplicates`` policy.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"item": ["a", "a", "b"], "worker": [1, 2, 1],
    ...                    "label": ["cat", "dog", "cat"]})
    >>> enc = encode_answers(df)
    >>> enc.classes, enc.votes.class_counts().tolist()
    (['cat', 'dog'], [[1.0, 1.0], [1.0, 0.0]])
    """
    check_choice(duplicates, "duplicates", owner, DUPLICATE_POLICIES)
    table = check_answers(answers, owner)
    class_list = _class_list(table["label"], classes, owner)
    item_codes, items = pd.factorize(table["item"], sort=False)
    worker_codes, workers = pd.factorize(table["worker"], sort=False)
    label_codes = pd.Index(class_list).get_indexer(table["label"])
    k = len(class_list)
    codes = pd.DataFrame({"item": item_codes, "worker": worker_codes, "label": label_codes})
    if duplicates == "all":
        codes["weight"] = 1.0
    elif duplicates in ("last", "first"):
        codes = codes.drop_duplicates(["item", "worker"], keep=duplicates).copy()
        codes["weight"] = 1.0
    else:
        grouped = codes.groupby(["item", "worker", "label"], sort=False).size()
        grouped = grouped.reset_index(name="n")
        total = grouped.groupby(["item", "worker"], sort=False)["n"].transform("sum")
        codes = grouped[["item", "worker", "label"]].copy()
        codes["weight"] = (grouped["n"] / total).to_numpy()
    codes = codes.reset_index(drop=True)
    V = VoteMatrix.from_answers(
        codes["item"].to_numpy(),
        codes["worker"].to_numpy(),
        codes["label"].to_numpy(),
        codes["weight"].to_numpy(),
        n_items=len(items),
        n_sources=len(workers),
        k=k,
    )
    return EncodedAnswers(V, pd.Index(items), pd.Index(workers), class_list, codes)
