"""Simulated labeling: rounds with a reviewer who answers from a column kept out of the rest.

The oracle column is read here and nowhere else: it is added to the project's
``hidden_columns`` for the whole simulation (rules and exports of the rounds cannot see
it), the featurizers only read the payload, and the simulated reviewer's answers arrive
through the same :meth:`Project.add_answer` as a person's. Each round adds one row to the
learning curve.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import select

from labelmill.exceptions import ConfigError, InputError, RoundError
from labelmill.store import Item, Label

if TYPE_CHECKING:
    from labelmill.project import Project

__all__ = ["CurveRow", "simulate"]

ORACLE_USER = "oracle"


@dataclass
class CurveRow:
    """One round of a simulation."""

    round: int
    human_labels: int
    audit_labels: int
    threshold: float | None
    auto_share: float
    auto_accuracy_estimated: float | None
    auto_accuracy_lower: float | None
    auto_accuracy_true: float | None
    accuracy_all_true: float
    strategy: str | None
    seconds: float


def simulate(
    project: Project,
    *,
    oracle_column: str,
    budget: int,
    batch_size: int | None = None,
    strategy: str | None = None,
    audit_fraction: float | None = None,
    seed: int | None = None,
    out: str | os.PathLike[str] | None = None,
    target_accuracy: float | None = None,
    confidence: float | None = None,
    echo: Callable[[CurveRow], None] | None = None,
) -> list[CurveRow]:
    """Spend ``budget`` simulated human labels, ``batch_size`` per round; see the module docstring.

    Returns the learning curve (also written to ``out`` as CSV when given).
    """
    import time

    if not isinstance(budget, int) or budget < 0:
        raise ConfigError(f"The 'budget' of simulate must be an integer >= 0. Got {budget!r}.")
    oracle = _oracle(project, oracle_column)
    changes: dict[str, Any] = {}
    for key, value in (
        ("batch_size", batch_size),
        ("strategy", strategy),
        ("audit_fraction", audit_fraction),
        ("seed", seed),
    ):
        if value is not None:
            changes[key] = value
    if strategy is not None:
        from labelmill.active import STRATEGIES

        if strategy != "auto" and strategy not in STRATEGIES:
            raise ConfigError(
                f"Unknown strategy {strategy!r}. Expected 'auto' or one of "
                f"{', '.join(sorted(STRATEGIES))}."
            )
    saved = dict(project.settings)
    hidden = sorted(set(saved.get("hidden_columns") or ()) | {oracle_column})
    project.settings = {**saved, **changes, "hidden_columns": hidden}
    step = int(project.settings.get("batch_size", 50))
    if step < 1:
        raise ConfigError(f"The 'batch_size' of simulate must be >= 1. Got {step}.")
    curve: list[CurveRow] = []
    spent = 0
    try:
        while True:
            start = time.perf_counter()
            try:
                result = project.run_round(target_accuracy=target_accuracy, confidence=confidence)
            except RoundError:
                if curve or spent >= budget:  # a cold start (no labels yet) may fail; later not
                    raise
            else:
                row = _measure(project, oracle, result, time.perf_counter() - start)
                curve.append(row)
                if echo is not None:
                    echo(row)
            if spent >= budget:
                break
            served = project.next_items(min(step, budget - spent), queue="review", user=ORACLE_USER)
            if not served:
                break
            for entry in served:
                project.add_answer(
                    entry.item_id, oracle[entry.item_id], user=ORACLE_USER, queue=entry.mode
                )
            spent += len(served)
    finally:
        project.settings = saved
    if out is not None:
        _write_curve(Path(out), curve)
    return curve


def _oracle(project: Project, column: str) -> dict[str, str]:
    with project.store.session() as session:
        rows = session.execute(select(Item.item_id, Item.meta)).all()
    if not rows:
        raise InputError("The project has no items to simulate on; import some first.")
    answers = {}
    for item_id, meta in rows:
        if not meta or column not in meta or meta[column] in (None, ""):
            raise InputError(
                f"Item {item_id!r} has no value in the oracle column {column!r}. Import the "
                f"data with --meta-column {column} (it must not be the --gold-column)."
            )
        answers[item_id] = str(meta[column])
    unknown = sorted({a for a in answers.values()} - set(project.schema.classes))
    if unknown:
        raise InputError(
            f"The oracle column {column!r} holds values that are not classes of the project: "
            f"{unknown[:5]}; the classes are {list(project.schema.classes)}."
        )
    return answers


def _measure(project: Project, oracle: dict[str, str], result: Any, seconds: float) -> CurveRow:
    schema = project.schema
    with project.store.session() as session:
        rows = session.execute(
            select(Item.item_id, Label.label, Label.status).join(Label, Label.item_pk == Item.pk)
        ).all()
    truth = np.array([schema.index(oracle[r[0]]) for r in rows])
    label = np.array([r[1] for r in rows])
    status = np.array([r[2] for r in rows])
    auto = status == "auto"
    estimate = result.auto_accuracy or {}
    return CurveRow(
        round=result.round_id,
        human_labels=result.n_human,
        audit_labels=result.n_audit,
        threshold=result.threshold,
        auto_share=float(auto.mean()),
        auto_accuracy_estimated=estimate.get("estimate"),
        auto_accuracy_lower=estimate.get("lower"),
        auto_accuracy_true=float((label[auto] == truth[auto]).mean()) if auto.any() else None,
        accuracy_all_true=float((label == truth).mean()),
        strategy=(result.strategy or {}).get("chosen") or (result.strategy or {}).get("strategy"),
        seconds=round(seconds, 2),
    )


def _write_curve(path: Path, curve: list[CurveRow]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(CurveRow.__dataclass_fields__))
        writer.writeheader()
        writer.writerows(asdict(row) for row in curve)
