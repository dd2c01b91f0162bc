"""What a project looks like from outside: status, items, rounds, rules, people's answers.

Read-only views over the store that the CLI, the server and notebooks share (through
:class:`~labelmill.Project`). Functions take ``(store, schema, ...)`` and return plain
values; the round's results are read back through :class:`~labelmill.pipeline.RoundResult`
so every reader sees the fields the round wrote.
"""

from __future__ import annotations

from collections import Counter, defaultdict
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
    "THREAD_ENDED",
    "agreement",
    "audit_log",
    "dashboard",
    "item_access",
    "item_detail",
    "learning_curve",
    "list_items",
    "list_rounds",
    "media_file",
    "people",
    "round_alive",
    "round_record",
    "rounds_checked",
    "rule_spans",
    "rules_analysis",
    "rules_list",
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


def status(store: Store, schema: Schema | None = None) -> dict[str, Any]:
    """Counts by status (every status, zeros included), active sources by kind, votes,
    users, and the last round; with ``schema``, also the items per class in each status
    (``by_class``) and the guarantee of the last round that finished (``guarantee``)."""
    with store.session() as session:
        by_status = item_sql.status_counts(session)
        last = round_sql.last_round(session)
        out: dict[str, Any] = {
            "items": item_sql.count_items(session),
            "by_status": {s.value: by_status.get(s.value, 0) for s in Status},
            "sources": item_sql.source_counts(session),
            "votes": item_sql.count_votes(session),
            "users": item_sql.count_users(session),
            "last_round": None if last is None else round_record(last),
        }
        dead = round_alive(last) if last is not None else None
        if dead is not None:  # a killed `labelmill run` reads as failed at once
            out["last_round"].update(status="failed", error=dead)
        if schema is None:
            return out
        by_class = {s.value: dict.fromkeys(map(str, schema.classes), 0) for s in Status}
        for state, label, n in item_sql.status_class_counts(session):
            if label == -1 or state not in by_class:
                continue
            for name in _class_names(schema, label):
                by_class[state][name] = by_class[state].get(name, 0) + n
        finished = round_sql.round_results(session)
    out["by_class"] = by_class
    out["guarantee"] = None
    if finished:
        round_id, values = finished[-1]
        out["guarantee"] = {
            "round": round_id,
            "statement": values.get("guarantee") or "",
            "threshold": values.get("threshold"),
            "auto_accuracy": values.get("auto_accuracy"),
            "n_audit": values.get("n_audit"),
            "n_more_audit_needed": values.get("n_more_audit_needed"),
        }
    return out


def _class_names(schema: Schema, label: int) -> list[str]:
    decoded = schema.decode(label)
    return [str(c) for c in decoded] if isinstance(decoded, list) else [str(decoded)]


def list_items(
    store: Store, schema: Schema, *, statuses: list[str] | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """Items with their status, label, confidence, votes and a preview of the payload: in
    review-queue order when only ``review`` items are asked for, else in import order.

    Raises
    ------
    ConfigError
        An unknown status or a ``limit`` below 1.
    """
    from labelmill.export import answers_by_item, check_statuses, with_people_targets
    from labelmill.utils._validation import check_positive

    check_statuses(statuses)
    check_positive(limit, "limit", "list_items", integer=True)
    by_priority = bool(statuses) and set(statuses or ()) <= {Status.REVIEW, Status.UNLABELED}
    with store.session() as session:
        pairs = item_sql.listing(session, statuses, int(limit), by_priority=by_priority)
        votes = source_sql.current_votes(session, [item.pk for item, _label in pairs])
    by_item: dict[int, list[Any]] = defaultdict(list)
    for vote in votes:
        by_item[vote[0]].append(vote)
    answers = answers_by_item(votes)
    out = []
    for item, label in pairs:
        _posterior, people = with_people_targets(
            schema, label.status, label.label, label.posterior, answers.get(item.pk)
        )
        out.append(
            {
                "id": item.item_id,
                "status": label.status,
                "label": schema.decode(label.label) if label.label != -1 else None,
                "confidence": people if people is not None else label.confidence,
                "votes": [
                    {"source": f"{kind}:{name}", "label": schema.decode(value)}
                    for _pk, _sid, kind, name, _v, value, _score, _queue in by_item[item.pk]
                ],
                "preview": _preview(schema, item.payload),
            }
        )
    return out


def _preview(schema: Schema, payload: Any, width: int = 70) -> str:
    if schema.data_type == "tabular" and isinstance(payload, dict):
        text = ", ".join(f"{k}={v}" for k, v in payload.items())
    else:
        text = str(payload)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


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


def rules_list(store: Store, *, include_removed: bool = False) -> list[dict[str, Any]]:
    """One row per rule: its current version (the active one, else the latest), whether it
    is active, its kind, file, votes and coverage, and how many versions it has had."""
    by_name: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with store.session() as session:
        versions = source_sql.rule_versions(session)
    for version in versions:
        by_name[version["name"]].append(version)
    out = []
    for _name, versions in sorted(by_name.items()):
        active = [v for v in versions if v["active"]]
        current = active[-1] if active else versions[-1]
        if current["removed"] and not include_removed:
            continue
        state = "active" if active else ("removed" if current["removed"] else "disabled")
        out.append({**current, "state": state, "versions": len(versions)})
    return out


def rules_analysis(store: Store, schema: Schema, *, confidence: float = 0.95) -> dict[str, Any]:
    """Each active rule against people's answers, as Snorkel's ``LFAnalysis`` has it:
    polarity, coverage, overlaps, conflicts (over every item), then correct, incorrect and
    the empirical accuracy with its exact (Clopper-Pearson) interval at ``confidence`` over
    the items people answered (blind audit answers and imported gold, else review answers).

    Returns ``{"rules": [...], "answered": n, "gold": n_gold, "items": n}``.
    """
    import numpy as np

    from labelmill.lf import analyze_lfs
    from labelmill.quality import clopper_pearson_interval

    with store.session() as session:
        rules = source_sql.active_sources(session, kinds=(SourceKind.RULE,))
        pks = item_sql.item_pks(session)
        position = {pk: i for i, pk in enumerate(pks)}
        n, m = len(pks), len(rules)
        column = {sid: j for j, (sid, *_rest) in enumerate(rules)}
        L = np.full((n, m), -1, dtype=np.int64)
        for item_pk, source_id, label in source_sql.latest_votes(session, list(column)):
            L[position[item_pk], column[source_id]] = label
        y = np.full(n, -1, dtype=np.int64)
        for item_pk, _kind, _user, label, queue in source_sql.latest_answers(session):
            if queue != Queue.AUDIT:
                y[position[item_pk]] = label
        gold = source_sql.gold_labels(session)
    for item_pk, label in gold.items():
        y[position[item_pk]] = label
    if m == 0 or n == 0 or schema.multilabel:
        return {"rules": [], "answered": int((y >= 0).sum()), "gold": len(gold), "items": n}
    table = analyze_lfs(L, y, lf_names=[name for _id, _kind, name, _v in rules])
    out = []
    for (_sid, _kind, name, version), (_, row) in zip(rules, table.iterrows(), strict=True):
        right, wrong = int(row["correct"]), int(row["incorrect"])
        lower, upper = clopper_pearson_interval(right, right + wrong, confidence=confidence)
        out.append(
            {
                "name": name,
                "version": version,
                "polarity": [str(schema.classes[c]) for c in row["polarity"]],
                "coverage": float(row["coverage"]),
                "overlaps": float(row["overlaps"]),
                "conflicts": float(row["conflicts"]),
                "correct": right,
                "incorrect": wrong,
                "accuracy": right / (right + wrong) if right + wrong else None,
                "lower": lower if right + wrong else None,
                "upper": upper if right + wrong else None,
            }
        )
    return {"rules": out, "answered": int((y >= 0).sum()), "gold": len(gold), "items": n}


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
    if not answers:
        return {"users": [], "pairs": [], "fleiss_kappa": None, "krippendorff_alpha": None}
    import pandas as pd

    from labelmill.crowd import (
        find_spammers,
        fleiss_kappa,
        krippendorff_alpha,
        pairwise_agreement,
        worker_accuracy,
    )

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


def people(store: Store) -> dict[str, Any]:
    """:func:`agreement` over the project's current answers and gold labels."""
    with store.session() as session:
        answers = source_sql.latest_answers(session, kinds=(SourceKind.HUMAN, SourceKind.CROWD))
        gold = source_sql.gold_labels(session)
    return agreement(answers, gold)


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
