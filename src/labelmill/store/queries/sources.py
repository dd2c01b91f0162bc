"""Sources and their votes: rules, models, people, imported gold; the vote matrix; gold.

Functions take a session and never commit. The one definition of *gold* lives here:
imported gold labels (votes of the ``import:gold`` source) and blind audit answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.orm import Session

from labelmill.enums import Queue, SourceKind
from labelmill.store.models import Item, Round, Source, Vote

__all__ = [
    "GOLD_SOURCE",
    "PersonAnswer",
    "active_sources",
    "audit_answers",
    "current_votes",
    "delete_votes",
    "get_or_create_source",
    "gold_labels",
    "imported_gold",
    "insert_votes",
    "latest_answers",
    "latest_votes",
    "model_versions",
    "rule_definitions",
    "rule_sources",
    "rule_versions",
    "rules_table",
    "set_active",
    "source_names",
    "vote_count",
]

_IN_CHUNK = 5000  # values per IN (...) list: SQLite allows 32,766 bound parameters

#: (kind, name, version) of the source whose votes are imported gold labels
GOLD_SOURCE = (SourceKind.IMPORT, "gold", "1")

PersonAnswer = tuple[int, str, str, int, str | None]  # item_pk, kind, user, label, queue


def get_or_create_source(
    session: Session,
    kind: str,
    name: str,
    version: str = "1",
    *,
    definition: dict[str, Any] | None = None,
) -> int:
    """The id of source ``(kind, name, version)``, created (active) when missing."""
    found = session.scalar(
        select(Source.id).where(Source.kind == kind, Source.name == name, Source.version == version)
    )
    if found is not None:
        return int(found)
    source = Source(kind=kind, name=name, version=version, definition=definition)
    session.add(source)
    session.flush()
    return source.id


def active_sources(
    session: Session, kinds: Iterable[str] = (SourceKind.RULE, SourceKind.MODEL, SourceKind.CROWD)
) -> list[tuple[int, str, str, str]]:
    """(id, kind, name, version) of the active sources of ``kinds``, in id order."""
    rows = session.execute(
        select(Source.id, Source.kind, Source.name, Source.version)
        .where(Source.active, Source.kind.in_(list(kinds)))
        .order_by(Source.id)
    )
    return [(int(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]


def rule_sources(
    session: Session, name: str | None = None, *, active: bool | None = True
) -> list[Source]:
    """Rule sources (all versions of ``name`` when given), optionally only active ones."""
    query = select(Source).where(Source.kind == SourceKind.RULE)
    if name is not None:
        query = query.where(Source.name == name)
    if active is not None:
        query = query.where(Source.active.is_(active))
    return list(session.scalars(query.order_by(Source.id)))


def set_definition(session: Session, source_id: int, definition: dict[str, Any]) -> None:
    """Replace the stored definition of a source."""
    session.execute(update(Source).where(Source.id == source_id).values(definition=definition))


def delete_votes(session: Session, source_id: int) -> None:
    """Delete a rule version's votes before they are computed again (a rule whose old
    version comes back); people's votes are never deleted."""
    session.execute(delete(Vote).where(Vote.source_id == source_id))


def insert_votes(
    session: Session,
    source_id: int,
    item_pks: Iterable[Any],
    labels: Iterable[Any],
    *,
    round_id: int | None = None,
) -> None:
    """Append one vote per item (machine sources: rules, models)."""
    rows = [
        {"item_pk": int(pk), "source_id": source_id, "label": int(label), "round_id": round_id}
        for pk, label in zip(item_pks, labels, strict=True)
    ]
    for start in range(0, len(rows), 5000):
        session.execute(insert(Vote), rows[start : start + 5000])


def latest_votes(session: Session, source_ids: Sequence[int]) -> Iterable[tuple[int, int, int]]:
    """(item_pk, source_id, label) of every vote of ``source_ids`` in the order cast, so
    that a later vote of a source on an item supersedes an earlier one."""
    if not source_ids:
        return []
    return session.execute(
        select(Vote.item_pk, Vote.source_id, Vote.label)
        .where(Vote.source_id.in_(list(source_ids)))
        .order_by(Vote.id)
    ).tuples()


def latest_answers(
    session: Session, *, kinds: tuple[str, ...] = (SourceKind.HUMAN,)
) -> list[PersonAnswer]:
    """(item_pk, kind, user, label, queue) of every current answer of people of ``kinds``:
    the latest vote per (user, item), withdrawn answers (undo) left out."""
    latest = (
        select(Vote.item_pk, Vote.source_id, func.max(Vote.id).label("vid"))
        .join(Source, Source.id == Vote.source_id)
        .where(Source.kind.in_(kinds))
        .group_by(Vote.item_pk, Vote.source_id)
        .subquery()
    )
    rows = session.execute(
        select(Vote.item_pk, Source.kind, Source.name, Vote.label, Vote.queue)
        .join(latest, and_(latest.c.vid == Vote.id))
        .join(Source, Source.id == Vote.source_id)
        .where(Vote.label != -1)
    ).all()
    return [(int(r[0]), str(r[1]), str(r[2]), int(r[3]), r[4]) for r in rows]


def imported_gold(session: Session) -> dict[int, int]:
    """item_pk -> label of the imported gold labels."""
    kind, name, version = GOLD_SOURCE
    rows = session.execute(
        select(Vote.item_pk, Vote.label)
        .join(Source, Source.id == Vote.source_id)
        .where(Source.kind == kind, Source.name == name, Source.version == version)
        .where(Vote.label != -1)
    )
    return {int(pk): int(label) for pk, label in rows}


def audit_answers(session: Session) -> dict[int, int]:
    """item_pk -> label of the current blind audit answers (the latest per item)."""
    out: dict[int, tuple[int, int]] = {}
    for pk, _kind, _user, label, queue in latest_answers(session):
        if queue == Queue.AUDIT:
            out[pk] = (label, pk)
    return {pk: label for pk, (label, _) in out.items()}


def gold_labels(session: Session) -> dict[int, int]:
    """item_pk -> label of every item whose label is known to be right: imported gold,
    and blind audit answers (which take precedence where both exist)."""
    return {**imported_gold(session), **audit_answers(session)}


def source_names(session: Session) -> dict[int, str]:
    """source id -> ``kind:name@version`` of every source."""
    rows = session.execute(select(Source.id, Source.kind, Source.name, Source.version))
    return {int(i): f"{kind}:{name}@{version}" for i, kind, name, version in rows}


def rule_definitions(session: Session, names: Iterable[str]) -> list[tuple[str, dict[str, Any]]]:
    """(name, definition) of the active rules named ``names``."""
    rows = session.execute(
        select(Source.name, Source.definition).where(
            Source.kind == SourceKind.RULE, Source.name.in_(list(names)), Source.active
        )
    )
    return [(str(name), definition or {}) for name, definition in rows]


def rules_table(session: Session) -> list[dict[str, Any]]:
    """Every rule version with its vote count (non-abstain) and the items it covers."""
    n_items = session.scalar(select(func.count()).select_from(Item)) or 0
    rows = session.execute(
        select(
            Source.id,
            Source.name,
            Source.version,
            Source.active,
            func.count(Vote.id),
            func.count(func.distinct(Vote.item_pk)),
        )
        .outerjoin(Vote, and_(Vote.source_id == Source.id, Vote.label != -1))
        .where(Source.kind == SourceKind.RULE)
        .group_by(Source.id, Source.name, Source.version, Source.active)
        .order_by(Source.name, Source.version)
    ).all()
    return [
        {
            "name": name,
            "version": version,
            "active": bool(active),
            "votes": int(votes),
            "coverage": (items / n_items) if n_items else 0.0,
        }
        for _id, name, version, active, votes, items in rows
    ]


def rule_versions(session: Session) -> list[dict[str, Any]]:
    """Every rule version with its vote count (non-abstain), the share of items it covers,
    its kind (keywords, regex, ..., python), the file it came from, when it was registered
    and whether it was removed."""
    n_items = session.scalar(select(func.count()).select_from(Item)) or 0
    counts = (
        select(
            Vote.source_id,
            func.count(Vote.id).label("votes"),
            func.count(func.distinct(Vote.item_pk)).label("n_items"),
        )
        .where(Vote.label != -1)
        .group_by(Vote.source_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Source.name,
            Source.version,
            Source.active,
            Source.definition,
            Source.created_at,
            func.coalesce(counts.c.votes, 0),
            func.coalesce(counts.c.n_items, 0),
        )
        .outerjoin(counts, counts.c.source_id == Source.id)
        .where(Source.kind == SourceKind.RULE)
        .order_by(Source.name, Source.id)
    ).all()
    out = []
    for name, version, active, definition, created, votes, items in rows:
        definition = definition or {}
        rule = definition.get("rule")
        out.append(
            {
                "name": name,
                "version": version,
                "active": bool(active),
                "votes": int(votes),
                "coverage": (int(items) / n_items) if n_items else 0.0,
                "kind": rule.get("kind", "python") if isinstance(rule, dict) else "python",
                "file": definition.get("file"),
                "registered_at": created.isoformat() if created else None,
                "removed": bool(definition.get("removed")),
            }
        )
    return out


CurrentVote = tuple[int, int, str, str, str, int, float | None, str | None]


def current_votes(session: Session, item_pks: Sequence[int]) -> list[CurrentVote]:
    """(item_pk, source_id, kind, name, version, label, score, queue) of the current vote of
    every source on the items ``item_pks``: the latest vote per (item, source), abstains and
    withdrawn answers left out, votes of inactive (disabled or superseded) rule and model
    versions left out; in item order, then source order."""
    out: list[CurrentVote] = []
    for start in range(0, len(item_pks), _IN_CHUNK):
        chunk = [int(pk) for pk in item_pks[start : start + _IN_CHUNK]]
        latest = (
            select(func.max(Vote.id).label("vid"))
            .where(Vote.item_pk.in_(chunk))
            .group_by(Vote.item_pk, Vote.source_id)
            .subquery()
        )
        rows = session.execute(
            select(
                Vote.item_pk,
                Vote.source_id,
                Source.kind,
                Source.name,
                Source.version,
                Vote.label,
                Vote.score,
                Vote.queue,
            )
            .join(latest, latest.c.vid == Vote.id)
            .join(Source, Source.id == Vote.source_id)
            .where(Vote.label != -1, Source.active)
            .order_by(Vote.item_pk, Vote.source_id)
        ).all()
        out.extend(
            (int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]), int(r[5]), r[6], r[7])
            for r in rows
        )
    return out


def model_versions(session: Session, round_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """round id -> the ``versions`` its results recorded (end model, featurizer, rules...)."""
    ids = sorted({int(r) for r in round_ids})
    if not ids:
        return {}
    rows = session.execute(select(Round.id, Round.results).where(Round.id.in_(ids)))
    return {int(rid): dict((results or {}).get("versions") or {}) for rid, results in rows}


def vote_count(session: Session, source_ids: Sequence[int]) -> int:
    """How many votes (abstains included) the sources ``source_ids`` cast."""
    if not source_ids:
        return 0
    return int(
        session.scalar(
            select(func.count()).select_from(Vote).where(Vote.source_id.in_(list(source_ids)))
        )
        or 0
    )


def set_active(session: Session, source_ids: Sequence[int], active: bool) -> None:
    """Enable or disable sources; their votes stay (a disabled source no longer votes)."""
    if source_ids:
        session.execute(update(Source).where(Source.id.in_(list(source_ids))).values(active=active))
