"""How each person is doing: accuracy against the blind audit (and imported gold), time
per item, skips; and agreement between people, worst pairs first."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from labelmill.enums import Queue
from labelmill.store import Store
from labelmill.store.queries import sources as source_sql
from labelmill.store.queries import team as team_sql

__all__ = ["agreement_heatmap", "people_quality"]

#: answers slower than this are left out of time per item (the person left the page)
MAX_SECONDS = 3600.0


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def people_quality(store: Store, *, confidence: float = 0.95) -> list[dict[str, Any]]:
    """Per person: answers by queue, accuracy on the items that have gold someone else
    gave (a blind audit answer of another reviewer, or imported truth) with its exact
    interval, median seconds per item (first shown to answered), and skips.

    A person's own audit answers are the gold, so they are never checked against
    themselves; an item with both takes the imported truth.
    """
    from labelmill.quality import clopper_pearson_interval

    with store.session() as session:
        answers = team_sql.people_answers(session)
        imported = source_sql.imported_gold(session)
        shown = team_sql.first_shown(session)
        skips = team_sql.skip_counts(session)
    audit_by: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for pk, _kind, user, label, queue, _at in answers:
        if queue == Queue.AUDIT:
            audit_by[pk].append((user, label))
    people: dict[str, dict[str, Any]] = {}
    seconds: dict[str, list[float]] = defaultdict(list)
    for pk, _kind, user, label, queue, at in answers:
        row = people.setdefault(
            user,
            {
                "user": user,
                "answers": 0,
                "review": 0,
                "audit": 0,
                "crowd": 0,
                "checked": 0,
                "right": 0,
            },
        )
        row["answers"] += 1
        if queue in (Queue.REVIEW, Queue.AUDIT, Queue.CROWD):
            row[str(queue)] += 1
        truth = imported.get(pk)
        if truth is None:
            others = [lab for who, lab in audit_by.get(pk, []) if who != user]
            truth = others[0] if others else None
        if truth is not None:
            row["checked"] += 1
            row["right"] += int(label == truth)
        first = shown.get((pk, user))
        if first is not None and at is not None:
            spent = (_aware(at) - _aware(first)).total_seconds()
            if 0 <= spent <= MAX_SECONDS:
                seconds[user].append(spent)
    out = []
    for user in sorted(set(people) | set(skips)):
        row = people.get(
            user,
            {
                "user": user,
                "answers": 0,
                "review": 0,
                "audit": 0,
                "crowd": 0,
                "checked": 0,
                "right": 0,
            },
        )
        n, right = row["checked"], row["right"]
        lower, upper = (
            clopper_pearson_interval(right, n, confidence=confidence) if n else (None, None)
        )
        times = seconds.get(user, [])
        out.append(
            {
                **row,
                "accuracy": right / n if n else None,
                "lower": lower,
                "upper": upper,
                "median_seconds": statistics.median(times) if times else None,
                "timed": len(times),
                "skips": skips.get(user, 0),
            }
        )
    return out


def agreement_heatmap(agreement: dict[str, Any], *, worst: int = 10) -> dict[str, Any]:
    """The pairs of :func:`labelmill.views.agreement` as a heatmap: the people (those in at
    least one pair, by name), kappa per pair keyed ``"a|b"`` (names in order), and the
    ``worst`` pairs with the lowest kappa first (pairs without a kappa last)."""
    pairs = agreement.get("pairs", [])
    people = sorted({u for p in pairs for u in p["users"]})
    cells = {"|".join(sorted(p["users"])): p for p in pairs}
    ranked = sorted(
        pairs,
        key=lambda p: (
            p["kappa"] is None,
            p["kappa"] if p["kappa"] is not None else 0,
            -p["shared"],
        ),
    )
    return {
        "people": people,
        "cells": {
            key: {"kappa": p["kappa"], "shared": p["shared"], "agreement": p["agreement"]}
            for key, p in cells.items()
        },
        "worst": ranked[:worst],
        "pairs": len(pairs),
    }
