"""A complete synthetic report input, made by running the quality functions on simulated
data: for tests, benchmarks and the report page's development."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from labelmill.report._build import audit_section, checks_section, label_issues_section
from labelmill.report._model import (
    CollectionInfo,
    DatasetSummary,
    ImportInfo,
    ModelInfo,
    ProjectInfo,
    ProvenanceSection,
    ReportInput,
    RoundInfo,
    RuleInfo,
    SchemaInfo,
    UsesInfo,
)
from labelmill.utils._validation import check_positive, check_random_state

__all__ = ["example_report"]

_CLASSES = ["world", "sports", "business", "sci/tech <&>"]


def example_report(n_items: int = 2000, *, random_state: Any = 0) -> ReportInput:
    """A full :class:`ReportInput` for a simulated project of ``n_items`` items.

    Every section is filled from the real quality functions (label issues, checks,
    audit accuracy, calibration, metrics, rule accuracy, slices) run on simulated labels,
    probabilities, votes and audit answers. Class and rule names contain ``<&>`` so the
    escaping shows.

    Examples
    --------
    >>> r = example_report(500)
    >>> r.dataset.n_items, r.audit.n_audited > 0, len(r.rounds)
    (500, True, 4)
    """
    from labelmill.quality import (
        analyze_slices,
        classification_metrics,
        cluster_slices,
        compute_calibration,
        estimate_audit_accuracy,
        estimate_rule_accuracy,
        rule_slices,
        run_checks,
    )

    n = check_positive(n_items, "n_items", "example_report", integer=True)
    rng = check_random_state(random_state, owner="example_report")
    k = len(_CLASSES)
    truth = rng.choice(k, n, p=[0.4, 0.3, 0.2, 0.1])
    E = rng.normal(size=(n, 16)) + np.eye(k, 16)[truth] * 2.5
    logits = E[:, :k] * 1.6
    P = np.exp(logits - logits.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    conf = P.max(axis=1)
    pred = P.argmax(axis=1)
    status = np.where(conf >= 0.8, "auto", "review").astype(object)
    human = rng.uniform(size=n) < 0.1
    status[human] = "human"
    status[rng.uniform(size=n) < 0.05] = "unlabeled"
    labels = np.where(human, truth, pred)
    labels[status == "unlabeled"] = -1
    wrong = rng.uniform(size=n) < 0.02
    labels[wrong & (labels >= 0)] = (labels[wrong & (labels >= 0)] + 1) % k
    L = np.full((n, 3), -1)
    L[rng.uniform(size=n) < 0.3, 0] = 0
    L[rng.uniform(size=n) < 0.2, 1] = 1
    fires = rng.uniform(size=n) < 0.15
    L[fires, 2] = np.where(rng.uniform(size=int(fires.sum())) < 0.7, truth[fires], 2)
    rules = ["kw_world", "regex_sports", "lookup <companies>"]
    hashes = np.array([f"h{i}" for i in range(n)], dtype=object)
    dup = rng.choice(n, size=max(2, n // 200), replace=False)
    hashes[dup[1::2]] = hashes[dup[::2][: len(dup[1::2])]]
    audited = rng.choice(n, size=min(n, max(60, n // 50)), replace=False)
    audit_labels = truth[audited]
    shadow = np.where(labels[audited] >= 0, labels[audited], pred[audited])
    audit_status = np.where(status[audited] == "unlabeled", "review", status[audited])
    people = rng.choice(np.array(["ada", "bo", "cy <x>"], dtype=object), size=audited.size)
    answers = np.where(
        (people == "cy <x>") & (rng.uniform(size=audited.size) < 0.3),
        (audit_labels + 1) % k,
        audit_labels,
    )
    item_ids = np.array([f"item-{i:07d}" for i in range(n)], dtype=object)

    known = labels >= 0
    checks = run_checks(
        classes=_CLASSES,
        labels=labels,
        item_ids=item_ids,
        pred_probs=P,
        label_source=status,
        content_hashes=hashes,
        vote_matrix=L,
        rule_names=rules,
        human_labels=np.where(human, truth, -1),
        raw_answers=["world", "sport", "business", 7],
        raw_answer_ids=item_ids[:4],
        annotators=people,
        annotator_answers=answers,
        annotator_audit_labels=audit_labels,
        embeddings=E if n <= 20_000 else None,
    )
    ranked = checks["label_issues"].table
    assert ranked is not None
    accuracy = estimate_audit_accuracy(
        shadow,
        audit_labels,
        statuses=audit_status,
        class_names=_CLASSES,
        population_statuses=status,
        population_labels=labels,
        threshold_candidates=30,
    )
    correct = shadow == audit_labels
    calibration = compute_calibration(correct, conf[audited])
    metrics = classification_metrics(audit_labels, shadow, n_classes=k, class_names=_CLASSES)
    gold = np.full(n, -1)
    gold[audited] = audit_labels
    rule_acc = estimate_rule_accuracy(L, gold, rule_names=rules)
    slice_cols = rule_slices(L[audited], rule_names=rules, class_names=_CLASSES)
    slice_cols["cluster"] = cluster_slices(E, n_clusters=8)[audited]
    slice_cols["meta:source"] = rng.choice(["feed A", "feed B", "<script>"], audited.size)
    slices = analyze_slices(correct, slice_cols)
    start = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
    rounds = []
    for i in range(3):
        share = [0.2, 0.45, 0.6][i]
        counts = {
            "auto": int(share * n),
            "review": int((0.9 - share) * n),
            "human": int(0.1 * n),
        }
        rounds.append(
            RoundInfo(
                round_id=i + 1,
                status="done",
                started_at=(start + timedelta(days=i)).isoformat(),
                finished_at=(start + timedelta(days=i, minutes=7)).isoformat(),
                target_accuracy=0.95,
                confidence=0.95,
                threshold=[0.99, 0.95, 0.9][i],
                guarantee=(
                    "With 95% confidence, auto-accepted labels (confidence >= "
                    f"{[0.99, 0.95, 0.9][i]:g}) are at least 95.0% accurate."
                ),
                counts=counts,
                n_audit=int(audited.size),
                n_human=int(human.sum()),
                n_trained=int(known.sum()),
                audit_accuracy=float(correct.mean()),
                auto_lower=0.951,
                ece_before=0.05,
                ece_after=0.02,
                strategy="margin",
            )
        )
    rounds.append(RoundInfo(round_id=4, status="failed", error="interrupted <killed>"))
    status_counts = {s: int(np.sum(status == s)) for s in ("gold", "human", "auto", "review")}
    status_counts["unlabeled"] = int(np.sum(status == "unlabeled"))
    by_status_class = {
        s: {c: int(np.sum((status == s) & (labels == j))) for j, c in enumerate(_CLASSES)}
        for s in ("human", "auto", "review")
    }
    noise = float(ranked["is_issue"].mean()) if len(ranked) else None
    return ReportInput(
        project=ProjectInfo(
            name="news topics <demo>",
            description=(
                "Topic labels for news headlines, to train a topic classifier.\n\n"
                "Made by the data team; <b>not</b> for moderation."
            ),
            created_by="data team",
            created_at=start.isoformat(),
            generated_at=(start + timedelta(days=3)).isoformat(),
            labelmill_version="0.1.0",
        ),
        schema=SchemaInfo("classification", list(_CLASSES), "text", ["title", "description"]),
        dataset=DatasetSummary(
            n_items=n,
            imports=[
                ImportInfo("feeds/a.csv", n // 2, n // 2, 3, 1, start.isoformat(), "ab12"),
                ImportInfo("feeds/<b>.csv", n - n // 2, n - n // 2, 0, 0, start.isoformat()),
            ],
            counts_by_status=status_counts,
            counts_by_class={c: int(np.sum(labels == j)) for j, c in enumerate(_CLASSES)},
            exact_duplicate_groups=int(len(dup) // 2),
            exact_duplicate_items=int(len(dup) // 2),
            near_duplicate_groups=3,
            near_duplicate_items=4,
            near_duplicate_threshold=0.98,
            metadata_fields=["source", "published"],
        ),
        collection=CollectionInfo(
            collection_process="Headlines from two RSS feeds, January 2025.",
            preprocessing="HTML stripped; items shorter than 3 words dropped.",
            annotators={"admin": 1, "reviewer": 3},
            answers_by_queue={"review": int(human.sum()), "audit": int(audited.size)},
            annotation_guidelines="guidelines.md <v2>",
        ),
        rules=[
            RuleInfo(
                name=name,
                kind="keywords" if j == 0 else "regex",
                description=f"definition of {name}",
                polarity=[_CLASSES[[0, 1, 0][j]]],
                coverage=float(np.mean(L[:, j] >= 0)),
                conflicts=0.01 * j,
                n_judged=int(row["n_judged"]),
                n_correct=int(row["n_correct"]),
                accuracy=None if pd.isna(row["accuracy"]) else float(row["accuracy"]),
                lower=float(row["lower"]),
                upper=float(row["upper"]),
            )
            for j, name in enumerate(rules)
            for _, row in rule_acc[rule_acc["rule"] == name].iterrows()
        ],
        models=[
            ModelInfo("featurizer", "all-MiniLM-L6-v2", "2.0", "384 dimensions"),
            ModelInfo("aggregator", "LabelModel", "1", "LabelModel(cardinality=4)"),
            ModelInfo("end_model", "EndModel", "1", "EndModel(C=1.0)"),
            ModelInfo("threshold_policy", "ThresholdPolicy", "1", "target 0.95, confidence 0.95"),
        ],
        rounds=rounds,
        audit=audit_section(
            n_audited=int(audited.size),
            accuracy=accuracy,
            threshold_candidates=30,
            calibration=calibration,
            metrics=metrics,
            gold_source="blind audit answers",
            rule_accuracy=rule_acc,
            slices=slices,
        ),
        checks=checks_section(checks),
        label_issues=label_issues_section(ranked, estimated_noise_rate=noise),
        provenance=ProvenanceSection(
            by_status={s: v for s, v in status_counts.items() if s != "unlabeled"},
            by_status_and_class=by_status_class,
            by_source_kind={"rule": int((L >= 0).sum()), "human": int(human.sum())},
        ),
        uses=UsesInfo(
            intended_uses="Training and evaluating topic classifiers.",
            not_recommended="Decisions about people; <script>alert(1)</script>",
            license="CC BY 4.0",
            citation="News topics, labelmill demo (2025).",
            maintainer="data team",
            contact="data@example.org",
        ),
    )
