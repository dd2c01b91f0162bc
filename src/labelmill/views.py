"""What a project looks like from outside: status, items, rounds, rules, people's answers.

Read-only views over the store that the CLI, the server and notebooks share (through
:class:`~labelmill.Project`). Functions take ``(store, schema, ...)`` and return plain
values; the round's results are read back through :class:`~labelmill.pipeline.RoundResult`
so every reader sees the fields the round wrote.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from labelmill.enums import SourceKind, Status
from labelmill.exceptions import NotFoundError
from labelmill.schema import Schema
from labelmill.store import Store
from labelmill.store.queries import items as item_sql
from labelmill.store.queries import queues as queue_sql
from labelmill.store.queries import rounds as round_sql
from labelmill.store.queries import sources as source_sql

__all__ = [
    "THREAD_ENDED",
    "agreement",
    "audit_log",
    "dashboard",
    "item_access",
    "item_detail",
    "learning_curve",
    "list_rounds",
    "media_file",
    "round_alive",
    "round_record",
    "rounds_checked",
    "rule_spans",
    "rule_trial",
    "rules_table",
    "status",
]

_MAX_SPANS = 200
#: why a running round of this process that it no longer runs is dead
THREAD_ENDED = "interrupted: its thread in this server ended without recording the result"


def round_record(record: Any) -> dict[str, Any]:
    """A ``rounds`` row as plain values: id, status, stage, error, times, params, results."""
    return {
        "id": record.id,
        "status": record.status,
        "stage": record.stage,
        "error": record.error,
        "started_at": record.started_at.isoformat() if record.started_at else None,
        "finished_at": record.finished_at.isoformat() if record.finished_at else None,
        "params": record.params or {},
        "results": record.results or {},
    }


def status(store: Store) -> dict[str, Any]:
    """Counts by status (every status, zeros included), active sources by kind, votes,
    users, and the last round."""
    with store.session() as session:
        by_status = item_sql.status_counts(session)
        last = round_sql.last_round(session)
        return {
            "items": item_sql.count_items(session),
            "by_status": {s.value: by_status.get(s.value, 0) for s in Status},
            "sources": item_sql.source_counts(session),
            "votes": item_sql.count_votes(session),
            "users": item_sql.count_users(session),
            "last_round": None if last is None else round_record(last),
        }


def list_rounds(store: Store, limit: int = 20) -> list[dict[str, Any]]:
    """The latest rounds, newest first."""
    with store.session() as session:
        return [round_record(r) for r in round_sql.list_rounds(session, limit)]


def learning_curve(store: Store) -> list[dict[str, Any]]:
    """One point per finished round: people's labels so far and the estimated accuracies."""
    from labelmill.pipeline.results import RoundResult

    points = []
    with store.session() as session:
        finished = round_sql.round_results(session)
    for round_id, values in finished:
        result = RoundResult.from_dict({"round_id": round_id, "status": "done", **values})
        auto = result.auto_accuracy
        points.append(
            {
                "round": round_id,
                "n_human": result.n_human,
                "n_audit": result.n_audit,
                "audit_accuracy": result.audit_accuracy,
                "auto_estimate": auto.estimate if auto else None,
                "auto_lower": auto.lower if auto else None,
                "auto_upper": auto.upper if auto else None,
                "auto": result.counts.get(Status.AUTO),
            }
        )
    return points


def rules_table(store: Store) -> list[dict[str, Any]]:
    """Rule versions with their vote counts (non-abstain) and coverage of the items."""
    with store.session() as session:
        return source_sql.rules_table(session)


def item_access(store: Store, item_id: str, user: str) -> tuple[str | None, str | None]:
    """(queue of ``user``'s live lease on the item, queue of their latest answer on it)."""
    with store.session() as session:
        pk = item_sql.item_pk(session, item_id)
        leased = queue_sql.lease_of(session, pk, user, datetime.now(UTC))
        last = queue_sql.last_person_vote(session, pk, user)
    return leased, (last[0].queue if last is not None else None)


def item_detail(store: Store, schema: Schema, item_id: str, *, blind: bool) -> dict[str, Any]:
    """An item's payload; unless ``blind``, also its label, status, confidence and votes."""
    with store.session() as session:
        item, label = item_sql.item_with_label(session, item_id)
        out: dict[str, Any] = {
            "item_id": item.item_id,
            "payload": _shown_payload(schema, item.item_id, item.payload),
            "meta": None if blind else item.meta,
        }
        if blind:
            return out
        votes = item_sql.item_votes(session, item.pk)
    out.update(
        label=schema.decode(label.label) if label.label != -1 else None,
        status=label.status,
        confidence=label.confidence,
        posterior=label.posterior,
        votes=[
            {
                "source": f"{k}:{n}",
                "label": schema.decode(v) if v != -1 else None,
                "score": s,
                "queue": q,
                "at": at.isoformat() if at else None,
            }
            for k, n, v, s, q, at in votes
        ],
    )
    return out


def _shown_payload(schema: Schema, item_id: str, payload: Any) -> Any:
    if schema.data_type == "image":
        return {"image": f"/media/{item_id}"}  # never the server's file path
    return payload


def media_file(store: Store, schema: Schema, item_id: str) -> Path:
    """The image file of ``item_id``, checked; raises :class:`NotFoundError` otherwise.

    The path comes only from the item's stored payload, never from a request. The file
    must still be a regular file at exactly the stored (resolved-at-import) path, which
    rules out a symlink swapped in since, and it must lie inside the folder of the import
    that brought the item in.
    """
    missing = NotFoundError(f"No image for item {item_id!r}.")
    if schema.data_type != "image":
        raise missing
    with store.session() as session:
        row = item_sql.media_row(session, item_id)
    if row is None or not isinstance(row[0], str) or not row[0]:
        raise missing
    stored = Path(row[0])
    try:
        resolved = stored.resolve(strict=True)
    except (OSError, RuntimeError):
        raise missing from None
    if not stored.is_absolute() or resolved != stored or not resolved.is_file():
        raise missing
    source = Path(row[1]) if row[1] else None
    # DataFrame imports ("<DataFrame>") and relative import paths name no checkable folder.
    if source is not None and source.is_absolute() and source.exists():
        try:
            source = source.resolve(strict=True)
        except (OSError, RuntimeError):
            raise missing from None
        base = source if source.is_dir() else source.parent
        if not resolved.is_relative_to(base):
            raise missing
    return resolved


def rule_spans(store: Store, text: Any, sources: list[str]) -> list[dict[str, Any]]:
    """Character spans of ``text`` matched by the rules named in ``sources``
    (``"rule:NAME"``): each rule's own matches (:meth:`labelmill.lf.Rule.spans`), so a
    case-sensitive or whole-word rule highlights exactly what it matched. Overlapping
    spans are merged away (the first wins) so the UI can cut the text into plain pieces."""
    from labelmill.lf import rule_from_definition

    names = {s.split(":", 1)[1] for s in sources if s.startswith("rule:")}
    if not names or not isinstance(text, str):
        return []
    with store.session() as session:
        definitions = source_sql.rule_definitions(session, names)
    spans: list[dict[str, Any]] = []
    for name, definition in definitions:
        rule = rule_from_definition(definition.get("rule") or definition)
        if rule is None:
            continue
        spans += [{"start": a, "end": b, "source": name} for a, b in rule.spans(text)]
    spans.sort(key=lambda s: (s["start"], -s["end"]))
    merged: list[dict[str, Any]] = []
    for span in spans:
        if not merged or span["start"] >= merged[-1]["end"]:
            merged.append(span)
    return merged[:_MAX_SPANS]


def agreement(answers: list[tuple[int, str, str, int]], gold: dict[int, int]) -> dict[str, Any]:
    """Per-person accuracy against gold, and Cohen's kappa between pairs of people."""
    from labelmill.active import prediction_kappa

    by_user: dict[str, dict[int, int]] = defaultdict(dict)
    for pk, _kind, user, label in answers:
        by_user[user][pk] = label
    users = []
    for user, labels in sorted(by_user.items()):
        checked = [pk for pk in labels if pk in gold]
        right = sum(labels[pk] == gold[pk] for pk in checked)
        users.append(
            {
                "user": user,
                "answers": len(labels),
                "gold_checked": len(checked),
                "gold_accuracy": right / len(checked) if checked else None,
            }
        )
    pairs = []
    for u, v in itertools.combinations(sorted(by_user), 2):
        shared = sorted(set(by_user[u]) & set(by_user[v]))
        if not shared:
            continue
        a = [by_user[u][pk] for pk in shared]
        b = [by_user[v][pk] for pk in shared]
        pairs.append(
            {
                "users": [u, v],
                "shared": len(shared),
                "kappa": prediction_kappa(a, b),
                "agreement": sum(x == y for x, y in zip(a, b, strict=True)) / len(shared),
            }
        )
    return {"users": users, "pairs": pairs}


def dashboard(store: Store) -> dict[str, Any]:
    """Counts by status, answers per person, the last round's accuracy estimates,
    agreement between people and against gold, and the learning curve."""
    from labelmill.pipeline.results import RoundResult

    info = status(store)
    with store.session() as session:
        people = (SourceKind.HUMAN, SourceKind.CROWD)
        answers = [a[:4] for a in source_sql.latest_answers(session, kinds=people)]
        gold = source_sql.imported_gold(session)
        leased = item_sql.count_live_leases(session, datetime.now(UTC))
        finished = round_sql.round_results(session)
    per_user = Counter((user, kind) for _pk, kind, user, _label in answers)
    last = info["last_round"]
    result = None
    if finished:  # the accuracy of the last round that finished (a failed one has none)
        round_id, values = finished[-1]
        result = RoundResult.from_dict({"round_id": round_id, "status": "done", **values})
    auto = result.auto_accuracy if result else None
    return {
        "items": info["items"],
        "by_status": info["by_status"],
        "leased": leased,
        "answers": len(answers),
        "answers_per_user": [
            {"user": u, "kind": k, "answers": n} for (u, k), n in sorted(per_user.items())
        ],
        "last_round": None
        if last is None
        else {k: last[k] for k in ("id", "status", "stage", "error")},
        "accuracy": {
            "threshold": result.threshold if result else None,
            "guarantee": (result.guarantee or None) if result else None,
            "auto": None
            if auto is None
            else {"estimate": auto.estimate, "lower": auto.lower, "upper": auto.upper, "n": auto.n},
            "audit_accuracy": result.audit_accuracy if result else None,
            "n_audit": result.n_audit if result else None,
            "summary": result.summary() if result else [],
        },
        "agreement": agreement(answers, gold),
        "curve": learning_curve(store),
    }


# -- rounds whose process is gone, rule trials, the audit log (issue 15) -----------------------
def round_alive(
    record: Any, *, running_here: bool | None = None, host: str | None = None
) -> str | None:
    """Why a ``running`` round row is in fact dead, or None when it may be alive.

    A round records the process that runs it (``pid``, ``host``). On the same host, a
    process that no longer exists means the round died with it (``kill -9``, a crash, a
    closed terminal). ``running_here``: whether this process runs a round right now (a
    server knows); a row of this process that it does not run is dead too (a thread that
    raised before it could record why). Rows of another host cannot be checked here.
    """
    import os
    import socket

    if record.status != "running" or record.pid is None:
        return None
    if (host or socket.gethostname()) != record.host:
        return None
    if record.pid == os.getpid():
        if running_here is False:
            return THREAD_ENDED
        return None
    try:
        os.kill(record.pid, 0)
    except ProcessLookupError:
        return f"interrupted: the process that ran it (pid {record.pid}) is gone"
    except PermissionError:
        return None
    return None


def rounds_checked(
    store: Store, limit: int = 20, *, running_here: bool | None = None
) -> list[dict[str, Any]]:
    """:func:`list_rounds`, with a ``running`` round whose process is gone read as
    ``failed`` (and why, in ``error``) at once, instead of when the next round starts."""
    with store.session() as session:
        rows = round_sql.list_rounds(session, limit)
        out = []
        for record in rows:
            entry = round_record(record)
            dead = round_alive(record, running_here=running_here)
            if dead is not None:
                entry.update(status="failed", error=dead)
            entry["heartbeat_at"] = record.heartbeat_at.isoformat() if record.heartbeat_at else None
            out.append(entry)
    return out


def rule_trial(
    store: Store,
    schema: Schema,
    rules: list[Any],
    *,
    hidden: tuple[str, ...] = (),
    max_items: int = 50_000,
    examples: int = 3,
) -> dict[str, Any]:
    """Try rules on the project's items without registering them: each rule's coverage,
    overlaps and conflicts with the other rules (as Snorkel's ``LFAnalysis``), its accuracy
    on the items people labeled (gold and human answers), and a few items it votes on.

    Parameters
    ----------
    rules : list of Rule or LabelingFunction
        Loaded with :func:`labelmill.lf.load_rules`.
    hidden : tuple of str
        Metadata columns the rules must not see (``hidden_columns``).
    max_items : int
        Tried on the first ``max_items`` items (in import order).
    """
    import numpy as np
    import pandas as pd

    from labelmill.lf import analyze_lfs, apply_lfs

    records: list[dict[str, Any]] = []
    pks: list[int] = []
    ids: list[str] = []
    texts: list[Any] = []
    with store.session() as session:
        after = 0
        while len(records) < max_items:
            rows = item_sql.item_page(session, after, min(20_000, max_items - len(records)))
            if not rows:
                break
            for pk, item_id, payload, meta in rows:
                record = {k: v for k, v in (meta or {}).items() if k not in set(hidden)}
                if schema.data_type == "tabular" and isinstance(payload, dict):
                    record.update(payload)
                else:
                    record[schema.data_type] = payload
                records.append(record)
                pks.append(pk)
                ids.append(item_id)
                texts.append(payload)
            after = rows[-1][0]
        gold = source_sql.gold_labels(session)
        people = {pk: label for pk, _k, _u, label, q in source_sql.latest_answers(session)}
    if not records:
        return {"items": 0, "labeled": 0, "rules": []}
    frame = pd.DataFrame.from_records(records, index=pd.Index(ids, name="item_id"))
    L = np.asarray(apply_lfs(rules, frame, cardinality=schema.cardinality))
    y = np.array([gold.get(pk, people.get(pk, -1)) for pk in pks])
    table = analyze_lfs(L, y if (y >= 0).any() else None, lf_names=[r.name for r in rules])
    out = []
    for j, rule in enumerate(rules):
        row = table.iloc[j]
        hits = np.flatnonzero(L[:, j] >= 0)
        shown = []
        for i in hits[:examples]:
            text = texts[i] if isinstance(texts[i], str) else None
            spans = list(rule.spans(text)) if text is not None and hasattr(rule, "spans") else []
            shown.append(
                {
                    "item_id": ids[i],
                    "vote": schema.decode(int(L[i, j])),
                    "text": text[:300] if text is not None else None,
                    "spans": [[a, b] for a, b in spans if b <= 300],
                }
            )
        correct = int(row["correct"]) if "correct" in table.columns else 0
        incorrect = int(row["incorrect"]) if "incorrect" in table.columns else 0
        accuracy = row.get("empirical_accuracy") if "empirical_accuracy" in table.columns else None
        out.append(
            {
                "name": rule.name,
                "votes_for": [schema.decode(int(c)) for c in row["polarity"]],
                "coverage": float(row["coverage"]),
                "overlaps": float(row["overlaps"]),
                "conflicts": float(row["conflicts"]),
                "correct": correct,
                "incorrect": incorrect,
                "accuracy": None if accuracy is None or pd.isna(accuracy) else float(accuracy),
                "examples": shown,
            }
        )
    return {"items": len(records), "labeled": int((y >= 0).sum()), "rules": out}


def audit_log(
    store: Store,
    *,
    before: int | None = None,
    limit: int = 100,
    actor: str | None = None,
    action: str | None = None,
) -> list[dict[str, Any]]:
    """Who changed what, newest first (ids below ``before``; optionally one actor or one
    kind of action, by prefix)."""
    from labelmill.store.queries import team as team_sql

    with store.session() as session:
        rows = team_sql.audit_log_page(session, before, limit, actor, action)
        return [
            {
                "id": r.id,
                "at": r.at.isoformat() if r.at else None,
                "actor": r.actor,
                "action": r.action,
                "target": r.target,
                "details": r.details,
            }
            for r in rows
        ]
