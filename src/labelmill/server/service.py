"""What the routes ask of the project store: reads for the UI, and the rules of who may answer.

Routes never build SQL; they call these functions (and :class:`~labelmill.project.Project`).
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, select

from labelmill.active._stopping import prediction_kappa
from labelmill.exceptions import NotFoundError
from labelmill.project import Project
from labelmill.review import latest_answers
from labelmill.store import Import, Item, Label, Lease, Round, Source, User, Vote

__all__ = [
    "TTLCache",
    "agreement",
    "refresh_statistics",
    "answer_queue",
    "item_detail",
    "list_rounds",
    "media_path",
    "rule_spans",
    "rules_table",
    "stats",
]

_MAX_SPANS = 200


@dataclass(frozen=True)
class Access:
    """What a user may do with an item: the queue of their lease or of their last answer."""

    leased_queue: str | None
    answered_queue: str | None


class TTLCache:
    """One value, recomputed at most every ``seconds`` (thread-safe; 0 disables it).

    Parameters
    ----------
    seconds : float
        How long a computed value is reused.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._value: Any = None
        self._at = -math.inf
        self._lock = threading.Lock()

    def get(self, compute: Callable[[], Any]) -> Any:
        if self.seconds <= 0:
            return compute()
        with self._lock:  # one computation at a time; the others reuse its result
            if time.monotonic() - self._at > self.seconds:
                self._value = compute()
                self._at = time.monotonic()
            return self._value


def refresh_statistics(project: Project) -> None:
    """Give SQLite's query planner fresh table statistics (``ANALYZE``).

    Without them SQLite guesses that ``labels.status = 'unlabeled'`` is selective and sorts
    the whole queue on every request instead of walking ``items.random_key`` (about 3 s
    instead of 30 ms per item served at a million items). PostgreSQL keeps its own
    statistics (autovacuum), so this does nothing there.
    """
    if project.store.dialect != "sqlite":
        return
    with project.store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA analysis_limit=0")
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def item_access(project: Project, item_id: str, user: str) -> Access:
    """The user's lease on ``item_id`` (if live) and the queue of their latest answer."""
    now = datetime.now(UTC)
    with project.store.session() as session:
        pk = session.scalar(select(Item.pk).where(Item.item_id == item_id))
        if pk is None:
            raise NotFoundError(f"No item with id {item_id!r} in this project.")
        leased = session.scalar(
            select(Lease.queue)
            .join(User, User.id == Lease.user_id)
            .where(Lease.item_pk == pk, User.name == user, Lease.expires_at >= now)
            .limit(1)
        )
        answered = session.scalar(
            select(Vote.queue)
            .join(Source, Source.id == Vote.source_id)
            .where(Vote.item_pk == pk, Source.name == user, Source.kind.in_(("human", "crowd")))
            .order_by(Vote.id.desc())
            .limit(1)
        )
    return Access(leased_queue=leased, answered_queue=answered)


def answer_queue(access: Access, requested: str | None) -> str:
    """The queue an answer belongs to: the lease's, else the last answer's, else the request's."""
    return access.leased_queue or access.answered_queue or requested or "review"


def item_detail(project: Project, item_id: str, *, blind: bool) -> dict[str, Any]:
    """An item's payload; unless ``blind``, also its label, status, confidence and votes."""
    schema = project.schema
    with project.store.session() as session:
        row = session.execute(
            select(Item, Label).join(Label, Label.item_pk == Item.pk).where(Item.item_id == item_id)
        ).first()
        if row is None:
            raise NotFoundError(f"No item with id {item_id!r} in this project.")
        item, label = row
        out: dict[str, Any] = {
            "item_id": item.item_id,
            "payload": _shown_payload(project, item),
            "meta": None if blind else item.meta,
        }
        if blind:
            return out
        votes = session.execute(
            select(Source.kind, Source.name, Vote.label, Vote.score, Vote.queue, Vote.created_at)
            .join(Source, Source.id == Vote.source_id)
            .where(Vote.item_pk == item.pk)
            .order_by(Vote.id)
        ).all()
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


def _shown_payload(project: Project, item: Item) -> Any:
    if project.schema.data_type == "image":
        return {"image": f"/media/{item.item_id}"}  # never the server's file path
    return item.payload


def media_path(project: Project, item_id: str) -> Path:
    """The image file of ``item_id``, checked; raises :class:`NotFoundError` otherwise.

    The path comes only from the item's stored payload, never from the request. The file
    must still be a regular file at exactly the stored (resolved-at-import) path, which
    rules out a symlink swapped in since, and it must lie inside the folder of the import
    that brought the item in.
    """
    missing = NotFoundError(f"No image for item {item_id!r}.")
    if project.schema.data_type != "image":
        raise missing
    with project.store.session() as session:
        row = session.execute(
            select(Item.payload, Import.path)
            .outerjoin(Import, Import.id == Item.import_id)
            .where(Item.item_id == item_id)
        ).first()
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


def rule_spans(project: Project, text: str, sources: list[str]) -> list[dict[str, Any]]:
    """Character spans of ``text`` matched by the keyword / regex rules named in ``sources``.

    Rules defined by keywords (``keywords``) or a regular expression (``pattern``), as
    ``labelmill.lf`` stores them in the source definition, are matched; Python function
    rules carry no spans.
    """
    names = {s.split(":", 1)[1] for s in sources if s.startswith("rule:")}
    if not names or not isinstance(text, str):
        return []
    with project.store.session() as session:
        definitions = session.execute(
            select(Source.name, Source.definition).where(
                Source.kind == "rule", Source.name.in_(names), Source.active
            )
        ).all()
    spans: list[dict[str, Any]] = []
    for name, definition in definitions:
        for pattern in _patterns(definition or {}):
            try:
                for match in re.finditer(pattern, text, flags=re.IGNORECASE):
                    if match.end() > match.start():
                        spans.append({"start": match.start(), "end": match.end(), "source": name})
                    if len(spans) >= _MAX_SPANS:
                        break
            except re.error:
                continue
    spans.sort(key=lambda s: (s["start"], -s["end"]))
    merged: list[dict[str, Any]] = []
    for span in spans:  # drop overlaps so the UI can cut the text into plain pieces
        if not merged or span["start"] >= merged[-1]["end"]:
            merged.append(span)
    return merged


def _patterns(definition: dict[str, Any]) -> list[str]:
    # Rules registered from a file keep what the file said under "rule" (labelmill.lf).
    if isinstance(definition.get("rule"), dict):
        definition = definition["rule"]
    out: list[str] = []
    keywords = definition.get("keywords")
    if isinstance(keywords, list | tuple):
        out.extend(r"\b" + re.escape(str(k)) + r"\b" for k in keywords if str(k).strip())
    for key in ("pattern", "regex"):
        if isinstance(definition.get(key), str):
            out.append(definition[key])
    return out


def cohen_kappa(a: list[int], b: list[int]) -> float | None:
    """Cohen's kappa of two raters' labels on the same items (None when they share none)."""
    return prediction_kappa(a, b) if a else None


def agreement(answers: list[tuple[int, str, str, int]], gold: dict[int, int]) -> dict[str, Any]:
    """Per-user accuracy against imported gold, and Cohen's kappa between pairs of users."""
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
                "kappa": cohen_kappa(a, b),
                "agreement": sum(x == y for x, y in zip(a, b, strict=True)) / len(shared),
            }
        )
    return {"users": users, "pairs": pairs}


def stats(project: Project) -> dict[str, Any]:
    """Counts by status, answers per user, accuracy estimates, agreement, learning curve."""
    info = project.status()
    with project.store.session() as session:
        answers = [a[:4] for a in latest_answers(session, kinds=("human", "crowd"))]
        gold = dict(
            session.execute(
                select(Vote.item_pk, Vote.label)
                .join(Source, Source.id == Vote.source_id)
                .where(Source.kind == "import", Vote.label != -1)
            ).all()
        )
        leased = (
            session.scalar(
                select(func.count()).select_from(Lease).where(Lease.expires_at >= datetime.now(UTC))
            )
            or 0
        )
    per_user = Counter((user, kind) for _pk, kind, user, _label in answers)
    last = info["last_round"]
    results = (last or {}).get("results") or {}
    return {
        "items": info["items"],
        "by_status": info["by_status"],
        "leased": int(leased),
        "answers": len(answers),
        "answers_per_user": [
            {"user": u, "kind": k, "answers": n} for (u, k), n in sorted(per_user.items())
        ],
        "last_round": None
        if last is None
        else {
            "id": last["id"],
            "status": last["status"],
            "stage": last["stage"],
            "error": last["error"],
        },
        "accuracy": _accuracy(results),
        "agreement": agreement(answers, gold),
        "curve": learning_curve(project),
    }


def _accuracy(results: dict[str, Any]) -> dict[str, Any]:
    auto = results.get("auto_accuracy") if isinstance(results.get("auto_accuracy"), dict) else None
    return {
        "threshold": results.get("threshold"),
        "guarantee": results.get("guarantee") or None,
        "auto": auto,  # {"estimate", "lower", "upper", "n"} when a threshold was chosen
        "audit_accuracy": results.get("audit_accuracy"),
        "n_audit": results.get("n_audit"),
        "summary": results.get("summary") or [],
    }


def learning_curve(project: Project) -> list[dict[str, Any]]:
    """One point per finished round: human labels so far and the estimated accuracies."""
    points = []
    with project.store.session() as session:
        for rid, results in session.execute(
            select(Round.id, Round.results).where(Round.status == "done").order_by(Round.id)
        ):
            r = results or {}
            auto = r.get("auto_accuracy") if isinstance(r.get("auto_accuracy"), dict) else {}
            counts = r.get("counts") if isinstance(r.get("counts"), dict) else {}
            points.append(
                {
                    "round": rid,
                    "n_human": r.get("n_human"),
                    "n_audit": r.get("n_audit"),
                    "audit_accuracy": r.get("audit_accuracy"),
                    "auto_estimate": auto.get("estimate"),
                    "auto_lower": auto.get("lower"),
                    "auto_upper": auto.get("upper"),
                    "auto": counts.get("auto"),
                }
            )
    return points


def rules_table(project: Project) -> list[dict[str, Any]]:
    """Rule sources with their vote counts (non-abstain) and coverage of the items."""
    with project.store.session() as session:
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
            .where(Source.kind == "rule")
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


def list_rounds(project: Project, limit: int = 20) -> list[dict[str, Any]]:
    """The latest rounds, newest first: status, stage, error, timing and results summary."""
    with project.store.session() as session:
        rounds = session.scalars(select(Round).order_by(Round.id.desc()).limit(limit)).all()
        return [
            {
                "id": r.id,
                "status": r.status,
                "stage": r.stage,
                "error": r.error,
                "started_at": r.started_at.isoformat() if r.started_at else None,
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                "summary": (r.results or {}).get("summary") or [],
                "threshold": (r.results or {}).get("threshold"),
            }
            for r in rounds
        ]
