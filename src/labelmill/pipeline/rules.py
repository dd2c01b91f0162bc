"""Rules as sources: register a rule file, apply registered rules to the items, and manage
them (disable, enable, remove).

Each rule is a source ``(kind="rule", name, version)``; the version is a hash of the
rule's definition, so editing a rule makes a new source and deactivates the old one,
whose votes stay in the store as history. Only non-abstain votes are stored; how far a
rule has been applied is kept in its source definition (``applied_through``: the highest
item pk it has seen), so a round applies rules only to items imported since. Declarative
(YAML) rules are rebuilt from their stored definition; Python labeling functions are
reloaded from their file.

Registering a file again makes it the definition of its rules: a rule registered from the
same file that the file no longer has is disabled. Rules registered from other files stay
active (the registration names them); ``replace=True`` disables them too. A disabled rule
votes no more (its votes stay as history) until it is enabled or registered again; a
removed rule is also left out of the rules list.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy.orm import Session

from labelmill.enums import SourceKind
from labelmill.exceptions import InputError, NotFoundError
from labelmill.schema import Schema
from labelmill.settings import ProjectSettings
from labelmill.store import Store
from labelmill.store.queries import items as item_sql
from labelmill.store.queries import queues as queue_sql
from labelmill.store.queries import sources as source_sql

if TYPE_CHECKING:
    import pandas as pd

    from labelmill.engine import Engine

__all__ = [
    "RuleRegistration",
    "apply_registered_rules",
    "register_rules",
    "remove_rule",
    "set_rule_active",
]

_CHUNK = 20_000


class RuleRegistration(dict[str, str]):
    """name -> "added" | "updated" | "unchanged" for each rule of the file, and "disabled"
    for the rules it disabled (dropped from the same file, or others with ``replace``).

    Attributes
    ----------
    still_active : list of str
        Active rules registered from other files, which this file does not have.
    """

    def __init__(self) -> None:
        super().__init__()
        self.still_active: list[str] = []


def register_rules(
    store: Store,
    schema: Schema,
    settings: ProjectSettings,
    path: str | Path,
    *,
    replace: bool = False,
    actor: str = "library",
    engine: Engine | None = None,
) -> RuleRegistration:
    """Register (or update) the rules of a YAML or Python file and apply them to every item.

    Rules registered before from the same file that it no longer has are disabled; with
    ``replace``, every other active rule is disabled too (see the module docstring).
    ``engine`` runs the rules over the items (default: this process).

    Raises
    ------
    InputError
        The file cannot be read, has a syntax error, or a rule uses an unknown column.
    """
    from labelmill.lf import load_rules

    file = Path(path).resolve()
    rules = load_rules(file, classes=schema.classes)
    if not rules:
        raise InputError(f"{file}: no rules found; a rule file must define at least one rule.")
    names = [r.name for r in rules]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"{file}: rule names must be unique; repeated: {dupes}.")
    # Apply first (outside the transaction): a failing rule or unknown column stops here.
    pks, votes = _apply(rules, _frames(store, schema, settings, after_pk=0), schema, engine)
    max_pk = int(pks[-1].max()) if pks else 0
    outcome = RuleRegistration()

    def work(session: Session) -> None:
        for rule in rules:
            current = source_sql.rule_sources(session, rule.name, active=True)
            if any(s.version == rule.version for s in current):
                outcome[rule.name] = "unchanged"
                continue
            for old in current:
                old.active = False
            definition = {"file": str(file), "rule": rule.definition, "applied_through": max_pk}
            existing = [s for s in source_sql.rule_sources(session, rule.name, active=None)]
            again = next((s for s in existing if s.version == rule.version), None)
            if again is not None:  # an old version comes back
                again.active, again.definition = True, definition
                source_sql.delete_votes(session, again.id)
                source_id = again.id
            else:
                source_id = source_sql.get_or_create_source(
                    session, SourceKind.RULE, rule.name, rule.version, definition=definition
                )
            _store_votes(session, source_id, pks, votes[rule.name])
            outcome[rule.name] = "updated" if current else ("enabled" if again else "added")
        for source in source_sql.rule_sources(session, active=True):
            if source.name in outcome:
                continue
            same_file = (source.definition or {}).get("file") == str(file)
            if same_file or replace:
                source.active = False
                outcome[source.name] = "disabled"
            else:
                outcome.still_active.append(source.name)
        outcome.still_active.sort()
        queue_sql.log_action(session, actor, "rules", str(file), dict(outcome))

    store.write(work, retries=0)
    return outcome


def apply_registered_rules(
    store: Store, schema: Schema, settings: ProjectSettings, *, engine: Engine | None = None
) -> dict[str, str]:
    """Apply every active rule to items it has not seen yet; returns name -> version.

    Rules that have seen the same items run together, one engine task per page of items
    (``engine``: default this process), so keyword rules share one token index.
    """
    with store.session() as session:
        sources = source_sql.rule_sources(session, active=True)
        last_pk = item_sql.max_item_pk(session)
    versions = {s.name: s.version for s in sources}
    stale = [s for s in sources if (s.definition or {}).get("applied_through", 0) < last_pk]
    if not stale:
        return versions
    groups: dict[int, list[tuple[int, dict[str, Any], Any]]] = {}
    for source in stale:
        definition = dict(source.definition or {})
        rule = _registered_rule(source.name, source.version, definition, schema)
        after = int(definition.get("applied_through", 0))
        groups.setdefault(after, []).append((source.id, definition, rule))
    for after, group in sorted(groups.items()):
        rules = [rule for _, _, rule in group]
        frames = _frames(store, schema, settings, after_pk=after)
        pks, votes = _apply(rules, frames, schema, engine)

        def work(
            session: Session,
            group: list[tuple[int, dict[str, Any], Any]] = group,
            pks: list[np.ndarray] = pks,
            votes: dict[str, list[np.ndarray]] = votes,
        ) -> None:
            for source_id, definition, rule in group:
                _store_votes(session, source_id, pks, votes[rule.name])
                source_sql.set_definition(
                    session, source_id, {**definition, "applied_through": last_pk}
                )

        store.write(work, retries=0)
    return versions


def _registered_rule(name: str, version: str, definition: dict[str, Any], schema: Schema) -> Any:
    """The rule a source stands for: a declarative rule from its stored definition (no file
    needed), a Python labeling function from its file.

    Raises
    ------
    InputError
        The file is gone, or no longer has this version of the rule.
    """
    from labelmill.lf import load_rules, rule_from_definition

    stored = definition.get("rule")
    rule = rule_from_definition(stored) if isinstance(stored, dict) else None
    if rule is not None and rule.version == version:
        if hasattr(rule, "_class_index"):  # a model rule names classes
            rule._class_index = {str(c): i for i, c in enumerate(schema.classes)}
        return rule
    file = definition.get("file")
    try:
        loaded = load_rules(file, classes=schema.classes) if file else []
    except (InputError, OSError) as exc:
        raise InputError(
            f"Rule {name!r} cannot be reloaded from {file}: {exc} Disable it with: labelmill "
            f"rules PROJECT disable {name}"
        ) from exc
    found = {r.name: r for r in loaded}.get(name)
    if found is None or found.version != version:
        raise InputError(
            f"Rule {name!r} version {version} is no longer in {file} (the file changed); "
            f"register it again with: labelmill rules PROJECT {file} (or disable the rule: "
            f"labelmill rules PROJECT disable {name})"
        )
    return found


def set_rule_active(store: Store, name: str, active: bool, *, actor: str = "library") -> str:
    """Disable a rule (it votes no more; its votes stay as history) or enable it again
    (its latest version). Returns the version affected.

    Raises
    ------
    NotFoundError
        No rule of that name (the message lists the rules).
    """

    def work(session: Session) -> str:
        versions = _versions(session, name)
        target = [v for v in versions if v.active] if not active else versions[-1:]
        if not active and not target:
            return versions[-1].version  # already disabled
        source_sql.set_active(session, [v.id for v in target], active)
        if active:
            definition = dict(target[0].definition or {})
            definition.pop("removed", None)
            source_sql.set_definition(session, target[0].id, definition)
        action = "rule enable" if active else "rule disable"
        queue_sql.log_action(session, actor, action, name, {"version": target[0].version})
        return target[0].version

    return store.write(work, retries=0)


def remove_rule(store: Store, name: str, *, actor: str = "library") -> int:
    """Remove a rule: every version disabled and left out of the rules list. Its votes stay
    in the store as history (votes are never deleted); registering a file that has the rule
    brings it back. Returns the number of its votes kept as history.

    Raises
    ------
    NotFoundError
        No rule of that name.
    """

    def work(session: Session) -> int:
        versions = _versions(session, name)
        source_sql.set_active(session, [v.id for v in versions], False)
        for version in versions:
            definition = {**(version.definition or {}), "removed": True}
            source_sql.set_definition(session, version.id, definition)
        kept = source_sql.vote_count(session, [v.id for v in versions])
        queue_sql.log_action(session, actor, "rule remove", name, {"votes_kept": kept})
        return kept

    return store.write(work, retries=0)


def _versions(session: Session, name: str) -> list[Any]:
    versions = [
        v
        for v in source_sql.rule_sources(session, name, active=None)
        if not (v.definition or {}).get("removed") or v.active
    ]
    if not versions:
        known = sorted(
            {
                s.name
                for s in source_sql.rule_sources(session, active=None)
                if not (s.definition or {}).get("removed")
            }
        )
        raise NotFoundError(
            f"No rule named {name!r} in this project; the rules are: "
            f"{', '.join(known) or 'none (register a file with: labelmill rules PROJECT FILE)'}."
        )
    return versions


def _apply(
    rules: list[Any], frames: Iterable[pd.DataFrame], schema: Schema, engine: Engine | None
) -> tuple[list[np.ndarray], dict[str, list[np.ndarray]]]:
    """Each frame's item pks, and each rule's votes on each frame: (pks per frame, rule name
    -> one vote column per frame). All rules run in one task per frame, so keyword rules
    share one token index; frames are read as the engine takes them, so only a window of
    them is in memory."""
    from labelmill.engine import LocalEngine

    pks: list[np.ndarray] = []

    def tasks() -> Iterator[pd.DataFrame]:
        for frame in frames:
            pks.append(frame["__pk"].to_numpy())
            # Indexed by item id, so that an error names the item.
            yield frame.drop(columns=["__pk"]).set_index("__id")

    out: dict[str, list[np.ndarray]] = {r.name: [] for r in rules}
    runner = engine if engine is not None else LocalEngine()
    for L in runner.apply_rules(rules, tasks(), cardinality=schema.cardinality):
        for j, rule in enumerate(rules):
            out[rule.name].append(L[:, j])
    return pks, out


def _store_votes(
    session: Session, source_id: int, pks: list[np.ndarray], votes: list[np.ndarray]
) -> None:
    for frame_pks, column in zip(pks, votes, strict=True):
        hit = np.flatnonzero(column >= 0)
        if hit.size:
            source_sql.insert_votes(session, source_id, frame_pks[hit], column[hit])


def _frames(
    store: Store, schema: Schema, settings: ProjectSettings, *, after_pk: int
) -> Iterator[pd.DataFrame]:
    """Items as DataFrames the rules can read: ``text``/``image`` or the table's columns,
    plus metadata columns (except ``hidden_columns``), ``__pk`` and ``__id``."""
    import pandas as pd

    hidden = set(settings.hidden_columns)
    last = after_pk
    while True:
        with store.session() as session:
            rows = item_sql.item_page(session, last, _CHUNK)
        if not rows:
            return
        records = []
        for pk, item_id, payload, meta in rows:
            record: dict[str, Any] = {k: v for k, v in (meta or {}).items() if k not in hidden}
            if schema.data_type == "tabular":
                record.update(payload)
            else:
                record[schema.data_type] = payload
            record["__pk"], record["__id"] = pk, item_id
            records.append(record)
        last = rows[-1][0]
        yield pd.DataFrame.from_records(records)
