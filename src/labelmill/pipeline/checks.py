"""Label issues and consistency checks over a project (``labelmill check``).

Reads the project's labels, votes, people's answers and features, computes out-of-sample
probabilities by cross-validation with the project's own end model, and runs every check
of :func:`labelmill.quality.run_checks`. The results are kept (the last run's summary in
the ``settings`` table, for the report and the dashboard) and the flagged items can be sent
to the review queue in one call (:func:`send_to_review`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from labelmill.enums import Queue, SourceKind, Status
from labelmill.exceptions import InputError
from labelmill.pipeline.round_data import load_features, load_round_data
from labelmill.schema import Schema
from labelmill.settings import ProjectSettings
from labelmill.store import Store
from labelmill.store.queries import items as item_sql
from labelmill.store.queries import rounds as round_sql
from labelmill.store.queries import sources as source_sql

__all__ = ["CheckRun", "check_project", "send_to_review"]

#: the ``settings``-table key of the last check's summary
STATE_KEY = "checks"
_MAX_ROWS = 1000


@dataclass
class CheckRun:
    """What :func:`check_project` found.

    Attributes
    ----------
    results : dict of str to CheckResult
        Every check (see :data:`labelmill.quality.CHECKS`), skipped ones with the reason.
    queue : DataFrame
        One row per flagged item (``item_id, n_checks, checks, reasons, issue_score``),
        most suspicious first.
    status : dict of str to str
        Item id -> current status, for the flagged items.
    """

    results: dict[str, Any]
    queue: pd.DataFrame
    status: dict[str, str]

    def summary(self) -> dict[str, Any]:
        """Counts per check, as stored for the report and the dashboard."""
        return {
            "at": datetime.now(UTC).isoformat(),
            "checks": {
                name: {"title": r.title, "flagged": r.n_flagged, "skipped": r.skipped}
                for name, r in self.results.items()
            },
            "flagged_items": int(len(self.queue)),
        }


def check_project(
    store: Store,
    schema: Schema,
    settings: ProjectSettings,
    *,
    feature_dir: Path,
    n_folds: int = 5,
) -> CheckRun:
    """Run every check on the project's current labels; see the module docstring.

    Raises
    ------
    InputError
        The project has no items.
    """
    from labelmill.quality import cross_val_pred_probs, review_queue, run_checks

    data = load_round_data(store)
    n, k = len(data), schema.cardinality
    if n == 0:
        raise InputError("The project has no items to check; import some first.")
    with store.session() as session:
        rows = item_sql.round_rows(session)
        answers = source_sql.latest_answers(session, kinds=(SourceKind.HUMAN, SourceKind.CROWD))
        rules = [s for s in source_sql.active_sources(session) if s[1] == SourceKind.RULE]
    item_ids = np.array([r[5] for r in rows], dtype=object)
    labels = np.array([r[4] for r in rows], dtype=np.int64)
    human = np.where(data.audit >= 0, data.audit, data.human)
    X, _version = load_features(store, schema, settings, data, feature_dir)

    pred_probs = None
    labeled = labels >= 0
    if labeled.sum() >= 2 * n_folds and len(np.unique(labels[labeled])) >= 2:
        from labelmill.learn import EndModel

        pred_probs = np.full((n, k), 1.0 / k)
        pred_probs[labeled] = cross_val_pred_probs(
            X[labeled],
            labels[labeled],
            make_estimator=lambda: EndModel(
                n_classes=k, random_state=settings.seed, **settings.end_model
            ),
            n_classes=k,
            n_folds=n_folds,
            random_state=settings.seed,
        )
    rule_columns = [data.source_ids.index(s[0]) for s in rules]
    position = {int(pk): i for i, pk in enumerate(data.pks)}
    people = _answers_on_audited(answers, position, data.audit)
    results = run_checks(
        classes=schema.classes,
        labels=labels,
        item_ids=item_ids,
        pred_probs=pred_probs,
        label_source=data.status.astype(str),
        content_hashes=np.array(data.hashes, dtype=object),
        embeddings=X,
        vote_matrix=data.L[:, rule_columns] if rule_columns else None,
        rule_names=[f"{s[2]}@{s[3]}" for s in rules] if rules else None,
        human_labels=human,
        raw_answers=[a[3] for a in answers],
        raw_answer_ids=[item_ids[position[a[0]]] for a in answers],
        annotators=people[0],
        annotator_answers=people[1],
        annotator_audit_labels=people[2],
        duplicate_method="lsh" if n > 20_000 else "exact",
        max_table_rows=_MAX_ROWS,
        random_state=settings.seed,
    )
    queue = review_queue(results)
    status = dict(zip(item_ids.tolist(), data.status.astype(str).tolist(), strict=True))
    run = CheckRun(
        results=results,
        queue=queue,
        status={str(i): status[str(i)] for i in queue["item_id"]},
    )
    store.write(lambda s: round_sql.put_state(s, STATE_KEY, run.summary()))
    return run


def _answers_on_audited(
    answers: list[tuple[int, str, str, int, str | None]],
    position: dict[int, int],
    audit: np.ndarray,
) -> tuple[list[str] | None, list[int] | None, list[int] | None]:
    """(person, answer, audit label) of every review or crowd answer on an audited item,
    the auditor being someone else."""
    auditor = {pk: user for pk, _kind, user, _label, queue in answers if queue == Queue.AUDIT}
    people, given, truth = [], [], []
    for pk, _kind, user, label, queue in answers:
        i = position[pk]
        if queue != Queue.AUDIT and audit[i] >= 0 and auditor.get(pk) != user:
            people.append(user)
            given.append(label)
            truth.append(int(audit[i]))
    if not people:
        return None, None, None
    return people, given, truth


def send_to_review(store: Store, run: CheckRun, *, limit: int | None = None) -> dict[str, int]:
    """Put the flagged items at the head of the review queue, most suspicious first.

    Machine labels (``auto``, ``review``, ``unlabeled``) become ``review``; items a person
    answered (``human``) go back to review too, so that a second person labels them (the
    first answer stays, as a vote). ``gold`` items (imported gold and blind audit answers)
    are left as they are: they define the guarantee; check them by hand.

    Returns counts: ``sent`` and ``left_gold``.
    """
    queue = run.queue if limit is None else run.queue.head(limit)
    ids = [str(i) for i in queue["item_id"]]
    sendable = [i for i in ids if run.status.get(i) != Status.GOLD]
    # The review order reads priority descending: a round's ranking is below 3.
    priorities = {
        item_id: 4.0 - rank / max(len(sendable), 1) for rank, item_id in enumerate(sendable)
    }

    def work(session: Session) -> None:
        pks = item_sql.pks_of(session, list(priorities))
        item_sql.set_review(session, {pks[i]: p for i, p in priorities.items() if i in pks})

    if priorities:
        store.write(work)
    return {"sent": len(sendable), "left_gold": len(ids) - len(sendable)}
