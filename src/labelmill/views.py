"""What a project looks like from outside: status, items, rounds, rules, people's answers.

Read-only views over the store that the CLI, the server and notebooks share (through
:class:`~labelmill.Project`). Functions take ``(store, schema, ...)`` and return plain
values; the round's results are read back through :class:`~labelmill.pipeline.RoundResult`
so every reader sees the fields the round wrote.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from labelmill.enums import Queue, SourceKind, Status
from labelmill.exceptions import NotFoundError
from labelmill.schema import Schema
from labelmill.store import Store
from labelmill.store.queries import items as item_sql
from labelmill.store.queries import queues as queue_sql
from labelmill.store.queries import rounds as round_sql
from labelmill.store.queries import sources as source_sql

__all__ = [
    "agreement",
    "dashboard",
    "item_access",
    "item_detail",
    "learning_curve",
    "list_rounds",
    "media_file",
    "round_record",
    "rule_spans",
    "rules_table",
    "status",
]

_MAX_SPANS = 200


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


def agreement(
    answers: list[tuple[int, str, str, int, str | None]], gold: dict[int, int]
) -> dict[str, Any]:
    """People's quality and agreement, from their current answers.

    Parameters
    ----------
    answers : list of (item_pk, kind, user, label, queue)
        People's current answers (:func:`labelmill.store.queries.sources.latest_answers`).
    gold : dict of item_pk -> label
        Labels known to be right (imported gold and blind audit answers).

    Returns
    -------
    dict
        ``users``: per person, answers, accuracy against gold with an exact 95% interval
        (their own blind audit answers, which are the gold, left out) and whether their
        answers look independent of the truth (``spammer``); ``pairs``: agreement and
        Cohen's kappa of every pair of people on shared items, worst first;
        ``fleiss_kappa`` and ``krippendorff_alpha`` over everyone (None when no item has
        two answers).
    """
    import pandas as pd

    from labelmill.crowd import (
        find_spammers,
        fleiss_kappa,
        krippendorff_alpha,
        pairwise_agreement,
        worker_accuracy,
    )

    if not answers:
        return {"users": [], "pairs": [], "fleiss_kappa": None, "krippendorff_alpha": None}
    table = pd.DataFrame(
        [(pk, user, label) for pk, _kind, user, label, _queue in answers],
        columns=["item", "worker", "label"],
    )
    checked = table[[queue != Queue.AUDIT for *_rest, queue in answers]]
    users = []
    quality = worker_accuracy(checked, gold) if len(checked) else None
    spam = find_spammers(checked, gold) if len(checked) and gold else None
    counts = table.groupby("worker").size()
    for user in sorted(counts.index):
        row: dict[str, Any] = {
            "user": user,
            "answers": int(counts[user]),
            "gold_checked": 0,
            "gold_accuracy": None,
            "gold_lower": None,
            "gold_upper": None,
            "spammer": False,
        }
        if quality is not None and user in set(quality["worker"]):
            q = quality.set_index("worker").loc[user]
            if q["n_checked"] > 0:
                row.update(
                    gold_checked=int(q["n_checked"]),
                    gold_accuracy=float(q["accuracy"]),
                    gold_lower=float(q["ci_low"]),
                    gold_upper=float(q["ci_high"]),
                )
        if spam is not None and user in set(spam["worker"]):
            row["spammer"] = bool(spam.set_index("worker").loc[user, "is_spammer"])
        users.append(row)
    pairs_table = pairwise_agreement(table)
    pairs = [
        {
            "users": [str(r.worker_a), str(r.worker_b)],
            "shared": int(r.n_shared),
            "kappa": None if pd.isna(r.kappa) else float(r.kappa),
            "agreement": float(r.agreement),
        }
        for r in pairs_table.itertuples(index=False)
    ]
    pairs.sort(key=lambda p: (p["kappa"] if p["kappa"] is not None else 2.0, p["agreement"]))
    shared = table.groupby("item")["worker"].nunique()
    several = table[table["item"].isin(shared[shared >= 2].index)]
    fleiss = alpha = None
    if len(several):
        fleiss = _finite(fleiss_kappa(several))
        alpha = _finite(krippendorff_alpha(several, level="nominal"))
    return {"users": users, "pairs": pairs, "fleiss_kappa": fleiss, "krippendorff_alpha": alpha}


def _finite(value: float) -> float | None:
    return None if value != value else float(value)  # NaN when undefined


def dashboard(store: Store) -> dict[str, Any]:
    """Counts by status, answers per person, the last round's accuracy estimates,
    agreement between people and against gold, and the learning curve."""
    from labelmill.pipeline.results import RoundResult

    info = status(store)
    with store.session() as session:
        people = (SourceKind.HUMAN, SourceKind.CROWD)
        answers = source_sql.latest_answers(session, kinds=people)
        gold = source_sql.gold_labels(session)
        leased = item_sql.count_live_leases(session, datetime.now(UTC))
        finished = round_sql.round_results(session)
    per_user = Counter((user, kind) for _pk, kind, user, _label, _queue in answers)
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
