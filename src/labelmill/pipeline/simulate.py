"""Simulated labeling: rounds with a reviewer who answers from a column kept out of the rest.

The oracle column is read here and nowhere else: it is added to the ``hidden_columns`` of
the simulation's settings (rules and exports of the rounds cannot see it), the
featurizers only read the payload, and the simulated reviewer's answers arrive through
the same :func:`labelmill.review.add_answer` as a person's. Each round adds one row to the
learning curve.
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from labelmill.engine import Engine
from labelmill.enums import Status
from labelmill.exceptions import ConfigError, InputError, RoundError
from labelmill.pipeline.results import RoundResult
from labelmill.pipeline.round import run_round
from labelmill.review import add_answer, next_items
from labelmill.schema import Schema
from labelmill.settings import ProjectSettings
from labelmill.store import Store
from labelmill.store.queries import items as item_sql

__all__ = ["ORACLE_USER", "CurveRow", "simulate"]

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
    change: str | None = None  # the causes of this round's change in auto-acceptance


def simulate(
    store: Store,
    schema: Schema,
    settings: ProjectSettings,
    *,
    oracle_column: str,
    budget: int,
    feature_dir: Path,
    audit_minimum: Callable[[ProjectSettings], int],
    out: str | os.PathLike[str] | None = None,
    echo: Callable[[CurveRow], None] | None = None,
    engine: Engine | None = None,
) -> list[CurveRow]:
    """Spend ``budget`` simulated human labels, ``settings.batch_size`` per round.

    Parameters
    ----------
    settings : ProjectSettings
        The simulation's settings (the project's, with any overrides applied by the
        caller); ``oracle_column`` is added to its hidden columns here.
    audit_minimum : callable
        The audit sample size the threshold policy needs under given settings.
    out : path, optional
        Where to write the learning curve as CSV (checked before the first round).
    engine : Engine, optional
        Runs each round's item-parallel work (see :func:`labelmill.pipeline.run_round`);
        the curve does not depend on it.

    Returns the learning curve.
    """
    if not isinstance(budget, int) or isinstance(budget, bool) or budget < 0:
        raise ConfigError(f"The 'budget' of simulate must be an integer >= 0. Got {budget!r}.")
    oracle = _oracle(store, schema, oracle_column)
    settings = settings.replace(hidden_columns=(*settings.hidden_columns, oracle_column))
    minimum = audit_minimum(settings)
    curve: list[CurveRow] = []
    spent = 0
    while True:
        start = time.perf_counter()
        try:
            result = run_round(store, schema, settings, feature_dir=feature_dir, engine=engine)
        except RoundError:
            if curve or spent >= budget:  # a cold start (no labels yet) may fail; later not
                raise
        else:
            row = _measure(store, schema, oracle, result, time.perf_counter() - start)
            curve.append(row)
            if echo is not None:
                echo(row)
        if spent >= budget:
            break
        served = next_items(
            store,
            schema,
            n=min(settings.batch_size, budget - spent),
            queue="review",
            user=ORACLE_USER,
            overlap=settings.overlap,
            audit_minimum=minimum,
            audit_fraction=settings.audit_fraction,
        )
        if not served:
            break
        for entry in served:
            add_answer(
                store,
                schema,
                entry.item_id,
                oracle[entry.item_id],
                user=ORACLE_USER,
                queue=entry.mode,
                overlap=settings.overlap,
            )
        spent += len(served)
    if out is not None:
        _write_curve(Path(out), curve)
    return curve


def _oracle(store: Store, schema: Schema, column: str) -> dict[str, str]:
    with store.session() as session:
        rows = item_sql.metas(session)
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
    unknown = sorted({a for a in answers.values()} - set(schema.classes))
    if unknown:
        raise InputError(
            f"The oracle column {column!r} holds values that are not classes of the project: "
            f"{unknown[:5]}; the classes are {list(schema.classes)}."
        )
    return answers


def _measure(
    store: Store, schema: Schema, oracle: dict[str, str], result: RoundResult, seconds: float
) -> CurveRow:
    with store.session() as session:
        rows = item_sql.round_rows(session)
    truth = np.array([schema.index(oracle[r[5]]) for r in rows])
    label = np.array([r[4] for r in rows])
    status = np.array([r[3] for r in rows])
    auto = status == Status.AUTO
    estimate = result.auto_accuracy
    return CurveRow(
        round=result.round_id,
        human_labels=result.n_human,
        audit_labels=result.n_audit,
        threshold=result.threshold,
        auto_share=float(auto.mean()),
        auto_accuracy_estimated=estimate.estimate if estimate else None,
        auto_accuracy_lower=estimate.bound if estimate else None,
        auto_accuracy_true=float((label[auto] == truth[auto]).mean()) if auto.any() else None,
        accuracy_all_true=float((label == truth).mean()),
        strategy=result.strategy.used if result.strategy else None,
        seconds=round(seconds, 2),
        change=",".join((result.change or {}).get("causes") or []) or None,
    )


def _write_curve(path: Path, curve: list[CurveRow]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(CurveRow.__dataclass_fields__))
        writer.writeheader()
        writer.writerows(asdict(row) for row in curve)
