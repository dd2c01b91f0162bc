"""Rounds (their lifecycle and results) and the persisted state of the round's learners.

Functions take a session and never commit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelmill.enums import RoundState
from labelmill.store.models import Round, Setting

__all__ = [
    "INTERRUPTED",
    "fail_round",
    "finish_round",
    "get_state",
    "last_round",
    "list_rounds",
    "put_state",
    "round_results",
    "set_stage",
    "start_round",
]

INTERRUPTED = "interrupted (the process stopped before the round finished)"


def start_round(session: Session, params: dict[str, Any], stage: str) -> int:
    """Record a new running round (rounds still marked running are marked failed: only one
    round runs at a time, so they were interrupted). Returns its id."""
    for stale in session.scalars(select(Round).where(Round.status == RoundState.RUNNING)):
        stale.status = RoundState.FAILED
        stale.error = INTERRUPTED
        stale.finished_at = datetime.now(UTC)
    record = Round(status=RoundState.RUNNING, stage=stage, params=params)
    session.add(record)
    session.flush()
    return record.id


def set_stage(session: Session, round_id: int, stage: str) -> None:
    record = session.get(Round, round_id)
    if record is not None:
        record.stage = stage


def fail_round(session: Session, round_id: int, reason: str) -> None:
    record = session.get(Round, round_id)
    if record is not None:
        record.status, record.error = RoundState.FAILED, reason
        record.finished_at = datetime.now(UTC)


def finish_round(session: Session, round_id: int, results: dict[str, Any]) -> None:
    record = session.get(Round, round_id)
    if record is None:
        raise LookupError(f"round {round_id} vanished while it ran")
    record.status, record.stage = RoundState.DONE, RoundState.DONE
    record.results = results
    record.finished_at = datetime.now(UTC)


def last_round(session: Session) -> Round | None:
    return session.scalars(select(Round).order_by(Round.id.desc()).limit(1)).first()


def list_rounds(session: Session, limit: int) -> list[Round]:
    """The latest ``limit`` rounds, newest first."""
    return list(session.scalars(select(Round).order_by(Round.id.desc()).limit(limit)))


def last_results(session: Session) -> dict[str, Any]:
    """The results of the last finished round ({} when none finished)."""
    results = session.scalar(
        select(Round.results)
        .where(Round.status == RoundState.DONE)
        .order_by(Round.id.desc())
        .limit(1)
    )
    return results or {}


def round_results(session: Session) -> list[tuple[int, dict[str, Any]]]:
    """(id, results) of every finished round, oldest first."""
    rows = session.execute(
        select(Round.id, Round.results).where(Round.status == RoundState.DONE).order_by(Round.id)
    )
    return [(int(rid), results or {}) for rid, results in rows]


def get_state(session: Session, key: str) -> Any:
    """The JSON value stored under ``key`` in the ``settings`` table, or None."""
    row = session.get(Setting, key)
    return None if row is None else row.value


def put_state(session: Session, key: str, value: Any) -> None:
    """Insert or replace one JSON value of the ``settings`` table."""
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
