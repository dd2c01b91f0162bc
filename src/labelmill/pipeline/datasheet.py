"""The data set's report (``labelmill report``): a datasheet built from the project store.

Collects what :mod:`labelmill.report` renders: the data set and its imports, the schema,
who labeled what, the rules with their analysis and audited accuracy, the models and
featurizer with versions, every round with its threshold and guarantee, the blind audit
(accuracy per status and per class with exact intervals, calibration, metrics against the
audit, slices), the last check's results and label issues, and the provenance of labels.
A section whose data does not exist yet (no round, no audit, no check) is left out, and the
report says what is missing. Nothing here writes to the store.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import numpy as np

from labelmill import __version__
from labelmill.enums import Queue, SourceKind, Status
from labelmill.pipeline.results import RoundResult
from labelmill.pipeline.round_data import RoundData, load_round_data
from labelmill.schema import Schema
from labelmill.settings import ProjectSettings
from labelmill.store import Store
from labelmill.store.queries import items as item_sql
from labelmill.store.queries import rounds as round_sql
from labelmill.store.queries import sources as source_sql

__all__ = ["build_report"]

_MAX_ROWS = 200
_USES = ("intended_uses", "not_recommended", "license", "citation", "maintainer", "contact")


def build_report(
    store: Store,
    schema: Schema,
    settings: ProjectSettings,
    *,
    name: str,
    checks: Any = None,
) -> Any:
    """The :class:`labelmill.report.ReportInput` of a project.

    Parameters
    ----------
    store, schema, settings
        The project's.
    name : str
        The project's name.
    checks : CheckRun, optional
        The results of :func:`labelmill.pipeline.checks.check_project` to include (label
        issues and consistency checks); without it the report lists the last check's
        counts, if any.
    """
    from labelmill.report import ProjectInfo, ReportInput, SchemaInfo, UsesInfo, checks_section

    data = load_round_data(store)
    with store.session() as session:
        rounds = round_sql.list_rounds(session, 1000)[::-1]
        outcomes = round_sql.get_state(session, "audit_outcomes")
        last_check = round_sql.get_state(session, "checks")
    text = settings.datasheet
    report = ReportInput(
        project=ProjectInfo(
            name=name,
            description=text.get("description"),
            created_by=text.get("created_by"),
            created_at=rounds[0].started_at.isoformat() if rounds else None,
            generated_at=datetime.now(UTC).isoformat(),
            labelmill_version=__version__,
        ),
        schema=SchemaInfo(
            task=schema.task,
            classes=list(schema.classes),
            data_type=schema.data_type,
            fields=list(schema.fields),
        ),
        dataset=_dataset(store, schema, data),
        collection=_collection(store, text),
        rules=_rules(store, schema, data),
        models=_models(rounds),
        rounds=[_round(r) for r in rounds],
        audit=_audit(schema, data, outcomes, settings) if outcomes else None,
        provenance=_provenance(store, schema, data),
        uses=UsesInfo(**{k: text.get(k) for k in _USES}) if any(k in text for k in _USES) else None,
    )
    if checks is not None:
        report.checks = checks_section(checks.results)
        report.label_issues = _label_issues(checks)
    elif last_check:
        report.checks = _check_counts(last_check)
    return report


def _dataset(store: Store, schema: Schema, data: RoundData) -> Any:
    from labelmill.report import DatasetSummary, ImportInfo

    with store.session() as session:
        imports = item_sql.imports(session)
        by_status = item_sql.status_counts(session)
        metadata = item_sql.metadata_keys(session)
    hashes = Counter(data.hashes)
    groups = [n for n in hashes.values() if n > 1]
    return DatasetSummary(
        n_items=len(data),
        imports=[
            ImportInfo(
                path=i.path,
                rows_read=i.rows_read,
                items_added=i.items_added,
                duplicates=i.duplicates,
                rejected=i.rejected,
                created_at=i.created_at.isoformat() if i.created_at else None,
                file_hash=i.file_hash,
            )
            for i in imports
        ],
        counts_by_status={s.value: by_status.get(s.value, 0) for s in Status},
        counts_by_class=_class_counts(store, schema),
        exact_duplicate_groups=len(groups),
        exact_duplicate_items=sum(n - 1 for n in groups),
        metadata_fields=metadata,
    )


def _class_counts(store: Store, schema: Schema) -> dict[str, int]:
    with store.session() as session:
        counts = item_sql.label_counts(session)
    return {str(schema.decode(label)): n for label, n in sorted(counts.items()) if label >= 0}


def _collection(store: Store, text: dict[str, str]) -> Any:
    from labelmill.report import CollectionInfo

    with store.session() as session:
        roles = item_sql.users_by_role(session)
        people = source_sql.latest_answers(session, kinds=(SourceKind.HUMAN, SourceKind.CROWD))
    queues = Counter(str(queue or Queue.REVIEW) for *_rest, queue in people)
    return CollectionInfo(
        collection_process=text.get("collection_process"),
        preprocessing=text.get("preprocessing"),
        annotators=roles,
        answers_by_queue=dict(queues),
        annotation_guidelines=text.get("annotation_guidelines"),
    )


def _rules(store: Store, schema: Schema, data: RoundData) -> list[Any]:
    from labelmill.lf import analyze_lfs
    from labelmill.quality import estimate_rule_accuracy
    from labelmill.report import RuleInfo

    with store.session() as session:
        rules = source_sql.rule_sources(session, active=None)
    if not rules:
        return []
    column = {sid: j for j, sid in enumerate(data.source_ids)}
    active = [r for r in rules if r.id in column]
    summary = accuracy = None
    if active:
        L = data.L[:, [column[r.id] for r in active]]
        names = [f"{r.name}@{r.version}" for r in active]
        summary = analyze_lfs(L, lf_names=names)
        gold = np.where(data.audit >= 0, data.audit, -1)
        accuracy = estimate_rule_accuracy(L, gold, rule_names=names).set_index("rule")
    out = []
    for rule in rules:
        definition = (rule.definition or {}).get("rule") or {}
        key = f"{rule.name}@{rule.version}"
        info = RuleInfo(
            name=rule.name,
            version=rule.version,
            kind=str(definition.get("kind", "python")),
            description=_describe(definition),
            active=bool(rule.active),
        )
        if summary is not None and key in summary.index:
            row = summary.loc[key]
            info.polarity = [str(schema.decode(int(c))) for c in row["polarity"]]
            info.coverage = float(row["coverage"])
            info.overlaps = float(row["overlaps"])
            info.conflicts = float(row["conflicts"])
        if accuracy is not None and key in accuracy.index and accuracy.loc[key, "n_judged"]:
            row = accuracy.loc[key]
            info.n_judged, info.n_correct = int(row["n_judged"]), int(row["n_correct"])
            info.accuracy = float(row["accuracy"])
            info.lower, info.upper = float(row["lower"]), float(row["upper"])
        out.append(info)
    return out


def _describe(definition: dict[str, Any]) -> str | None:
    shown = {k: v for k, v in definition.items() if k not in ("kind", "name")}
    return ", ".join(f"{k}={v}" for k, v in shown.items()) or None


def _models(rounds: list[Any]) -> list[Any] | None:
    from labelmill.report import ModelInfo

    done = [r for r in rounds if r.status == "done" and r.results]
    if not done:
        return None
    versions = RoundResult.from_dict({"round_id": 0, "status": "done", **done[-1].results})
    v = versions.versions
    aggregator = (v.aggregator or {}).get("name")
    return [
        ModelInfo(role="featurizer", name=v.featurizer or "none", version=v.featurizer),
        ModelInfo(role="aggregator", name=str(aggregator or "none (no rule votes)")),
        ModelInfo(role="end model", name=str(v.end_model)),
        ModelInfo(role="threshold policy", name=str(v.threshold_policy)),
    ]


def _round(record: Any) -> Any:
    from labelmill.report import RoundInfo

    params = record.params or {}
    info = RoundInfo(
        round_id=record.id,
        status=record.status,
        started_at=record.started_at.isoformat() if record.started_at else None,
        finished_at=record.finished_at.isoformat() if record.finished_at else None,
        target_accuracy=params.get("target_accuracy"),
        confidence=params.get("confidence"),
        error=record.error,
    )
    if record.status == "done" and record.results:
        r = RoundResult.from_dict({"round_id": record.id, "status": "done", **record.results})
        info.threshold, info.guarantee, info.counts = r.threshold, r.guarantee, r.counts
        info.n_audit, info.n_human, info.n_trained = r.n_audit, r.n_human, r.n_trained
        info.audit_accuracy = r.audit_accuracy
        info.auto_lower = r.auto_accuracy.bound if r.auto_accuracy else None
        info.ece_before, info.ece_after = r.ece_before, r.ece_after
        info.strategy = r.strategy.used if r.strategy else None
    return info


def _audit(
    schema: Schema, data: RoundData, outcomes: dict[str, Any], settings: ProjectSettings
) -> Any:
    from labelmill.quality import (
        classification_metrics,
        compute_calibration,
        estimate_audit_accuracy,
    )
    from labelmill.report import audit_section

    predicted = np.asarray(outcomes["predicted"], dtype=np.int64)
    truth = np.asarray(outcomes["audit"], dtype=np.int64)
    if truth.size == 0:
        return None
    statuses = np.asarray(outcomes["would_be"], dtype=object)
    routable = ~np.isin(data.status, (Status.HUMAN, Status.GOLD))
    accuracy = estimate_audit_accuracy(
        predicted,
        truth,
        statuses=statuses,
        class_names=list(schema.classes),
        confidence=settings.confidence,
        population_statuses=data.status[routable].astype(str),
        threshold_candidates=int(outcomes.get("threshold_candidates", 1)),
    )
    shown = np.asarray(outcomes["shown_confidence"], dtype=np.float64)
    calibration = compute_calibration(predicted == truth, shown)
    metrics = classification_metrics(truth, predicted, class_names=list(schema.classes))
    return audit_section(
        n_audited=int(truth.size),
        accuracy=accuracy,
        confidence=settings.confidence,
        threshold_candidates=int(outcomes.get("threshold_candidates", 1)),
        calibration=calibration,
        metrics=metrics,
        gold_source="blind audit answers (random sample, answered without the suggestion)",
        max_rows=_MAX_ROWS,
    )


def _provenance(store: Store, schema: Schema, data: RoundData) -> Any:
    from labelmill.report import ProvenanceSection

    with store.session() as session:
        by_kind = item_sql.votes_by_source_kind(session)
        pairs = item_sql.status_class_counts(session)
    by_status: Counter[str] = Counter()
    table: dict[str, dict[str, int]] = {}
    for status, label, n in pairs:
        if label < 0:
            continue
        by_status[status] += n
        table.setdefault(status, {})[str(schema.decode(label))] = n
    return ProvenanceSection(
        by_status=dict(by_status), by_status_and_class=table, by_source_kind=by_kind
    )


def _label_issues(checks: Any) -> Any:
    from labelmill.report import label_issues_section

    result = checks.results.get("label_issues")
    if result is None or result.table is None:
        return None
    return label_issues_section(result.table, max_rows=_MAX_ROWS)


def _check_counts(summary: dict[str, Any]) -> list[Any]:
    from labelmill.report import CheckSummary

    return [
        CheckSummary(name, c["title"], int(c["flagged"]), c.get("skipped"))
        for name, c in (summary.get("checks") or {}).items()
    ]
