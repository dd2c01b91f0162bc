"""Rules as sources: register a rule file, and apply registered rules to the items.

Each rule is a source ``(kind="rule", name, version)``; the version is a hash of the
rule's definition, so editing a rule makes a new source and deactivates the old one,
whose votes stay in the store as history. Only non-abstain votes are stored; how far a
rule has been applied is kept in its source definition (``applied_through``: the highest
item pk it has seen), so a round applies rules only to items imported since.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from labelmill.exceptions import InputError
from labelmill.store import AuditLog, Item, Source, Vote

if TYPE_CHECKING:
    import pandas as pd

    from labelmill.project import Project

__all__ = ["RuleRegistration", "apply_registered_rules", "items_frame", "register_rules"]

_CHUNK = 20_000


class RuleRegistration(dict):  # type: ignore[type-arg]
    """name -> "added" | "updated" | "unchanged" for each rule of the file."""


def register_rules(
    project: Project, path: str | Path, *, actor: str = "library"
) -> RuleRegistration:
    """Register (or update) the rules of a YAML or Python file and apply them to every item.

    Raises
    ------
    InputError
        The file cannot be read, has a syntax error, or a rule uses an unknown column.
    """
    from labelmill.lf import load_rules

    file = Path(path).resolve()
    rules = load_rules(file, classes=project.schema.classes)
    if not rules:
        raise InputError(f"{file}: no rules found; a rule file must define at least one rule.")
    names = [r.name for r in rules]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"{file}: rule names must be unique; repeated: {dupes}.")
    # Apply first (outside the transaction): a failing rule or unknown column stops here.
    frame_chunks = list(_frames(project, after_pk=0))
    votes = {r.name: [_apply_one(r, frame, project) for frame in frame_chunks] for r in rules}
    max_pk = int(frame_chunks[-1]["__pk"].max()) if frame_chunks else 0
    outcome = RuleRegistration()

    def work(session: Session) -> None:
        for rule in rules:
            current = session.scalars(
                select(Source).where(Source.kind == "rule", Source.name == rule.name, Source.active)
            ).all()
            if any(s.version == rule.version for s in current):
                outcome[rule.name] = "unchanged"
                continue
            for old in current:
                old.active = False
            existing = session.scalars(
                select(Source).where(
                    Source.kind == "rule", Source.name == rule.name, Source.version == rule.version
                )
            ).first()
            definition = {"file": str(file), "rule": rule.definition, "applied_through": max_pk}
            if existing is not None:  # an old version comes back
                existing.active, existing.definition = True, definition
                session.execute(Vote.__table__.delete().where(Vote.source_id == existing.id))
                source = existing
            else:
                source = Source(
                    kind="rule", name=rule.name, version=rule.version, definition=definition
                )
                session.add(source)
                session.flush()
            _store_votes(session, source.id, frame_chunks, votes[rule.name])
            outcome[rule.name] = "updated" if current else "added"
        session.add(AuditLog(actor=actor, action="rules", target=str(file), details=dict(outcome)))

    project.store.write(work, retries=0)
    return outcome


def apply_registered_rules(project: Project) -> dict[str, str]:
    """Apply every active rule to items it has not seen yet; returns name -> version."""
    with project.store.session() as session:
        sources = session.scalars(select(Source).where(Source.kind == "rule", Source.active)).all()
        last_pk = session.scalar(select(func.max(Item.pk))) or 0
    versions = {s.name: s.version for s in sources}
    stale = [s for s in sources if (s.definition or {}).get("applied_through", 0) < last_pk]
    if not stale:
        return versions
    from labelmill.lf import load_rules

    for source in stale:
        definition = dict(source.definition or {})
        file = definition.get("file")
        try:
            loaded = load_rules(file, classes=project.schema.classes) if file else []
            rules = {r.name: r for r in loaded}
        except (InputError, OSError) as exc:
            raise InputError(f"Rule {source.name!r} cannot be reloaded from {file}: {exc}") from exc
        rule = rules.get(source.name)
        if rule is None or rule.version != source.version:
            raise InputError(
                f"Rule {source.name!r} version {source.version} is no longer in {file} "
                "(the file changed); register it again with: labelmill rules PROJECT FILE"
            )
        frames = list(_frames(project, after_pk=int(definition.get("applied_through", 0))))
        votes = [_apply_one(rule, frame, project) for frame in frames]
        definition["applied_through"] = last_pk

        def work(
            session: Session,
            source_id: int = source.id,
            d: dict[str, Any] = definition,
            f: list[Any] = frames,
            v: list[Any] = votes,
        ) -> None:
            _store_votes(session, source_id, f, v)
            row = session.get(Source, source_id)
            assert row is not None
            row.definition = d

        project.store.write(work, retries=0)
    return versions


def _apply_one(rule: Any, frame: pd.DataFrame, project: Project) -> np.ndarray:
    from labelmill.lf import apply_lfs

    # Indexed by item id, so that an error names the item.
    data = frame.drop(columns=["__pk"]).set_index("__id")
    L = apply_lfs([rule], data, cardinality=project.schema.cardinality)
    return np.asarray(L)[:, 0]


def _store_votes(
    session: Session, source_id: int, frames: list[Any], votes: list[np.ndarray]
) -> None:
    for frame, column in zip(frames, votes, strict=True):
        hit = np.flatnonzero(column >= 0)
        if hit.size == 0:
            continue
        pks = frame["__pk"].to_numpy()
        session.execute(
            insert(Vote),
            [
                {"item_pk": int(pks[i]), "source_id": source_id, "label": int(column[i])}
                for i in hit
            ],
        )


def items_frame(project: Project, *, after_pk: int = 0, limit: int | None = None) -> pd.DataFrame:
    """Items as a DataFrame the rules can read: ``text``/``image`` or the table's columns,
    plus metadata columns (except the project's ``hidden_columns``), ``__pk`` and ``__id``."""
    import pandas as pd

    frames = list(_frames(project, after_pk=after_pk, limit=limit))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _frames(project: Project, *, after_pk: int, limit: int | None = None) -> Any:
    import pandas as pd

    data_type = project.schema.data_type
    hidden = set(project.settings.get("hidden_columns") or ())
    last, seen = after_pk, 0
    while limit is None or seen < limit:
        size = _CHUNK if limit is None else min(_CHUNK, limit - seen)
        with project.store.session() as session:
            rows = session.execute(
                select(Item.pk, Item.item_id, Item.payload, Item.meta)
                .where(Item.pk > last)
                .order_by(Item.pk)
                .limit(size)
            ).all()
        if not rows:
            return
        records = []
        for pk, item_id, payload, meta in rows:
            record: dict[str, Any] = {k: v for k, v in (meta or {}).items() if k not in hidden}
            if data_type == "tabular":
                record.update(payload)
            else:
                record[data_type] = payload
            record["__pk"], record["__id"] = pk, item_id
            records.append(record)
        last = rows[-1][0]
        seen += len(rows)
        yield pd.DataFrame.from_records(records)
