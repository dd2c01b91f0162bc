"""Turn the tables of :mod:`labelmill.quality` into report sections."""

from __future__ import annotations

from typing import Any

import numpy as np

from labelmill.report._model import (
    DEFAULT_MAX_ROWS,
    AuditSection,
    CheckSummary,
    LabelIssuesSection,
    Table,
)

__all__ = ["audit_section", "checks_section", "label_issues_section"]

_ISSUE_COLUMNS = [
    "item_id",
    "given_label",
    "suggested_label",
    "issue_score",
    "self_confidence",
    "source",
]


def audit_section(
    *,
    n_audited: int,
    accuracy: Any = None,
    confidence: float = 0.95,
    threshold_candidates: int = 1,
    calibration: Any = None,
    metrics: dict[str, Any] | None = None,
    gold_source: str | None = None,
    rule_accuracy: Any = None,
    slices: Any = None,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> AuditSection:
    """Build the audit section from quality results.

    Parameters
    ----------
    n_audited : int
    accuracy : DataFrame, optional
        :func:`labelmill.quality.estimate_audit_accuracy`.
    confidence : float, default=0.95
    threshold_candidates : int, default=1
        The ``m`` passed to ``estimate_audit_accuracy``.
    calibration : CalibrationResult, optional
        :func:`labelmill.quality.compute_calibration` on the audit sample.
    metrics : dict, optional
        :func:`labelmill.quality.classification_metrics` against gold.
    gold_source : str, optional
    rule_accuracy, slices : DataFrame, optional
        :func:`labelmill.quality.estimate_rule_accuracy`, :func:`analyze_slices`.
    max_rows : int, default=200

    Returns
    -------
    AuditSection

    Examples
    --------
    >>> from labelmill.quality import estimate_audit_accuracy
    >>> sec = audit_section(n_audited=2, accuracy=estimate_audit_accuracy([0, 1], [0, 0]))
    >>> sec.accuracy.rows[0][:5]
    ['all', 'all', 2, 1, 0.5]
    """
    per_class = confusion = None
    if metrics is not None:
        pc = metrics["per_class"].rename_axis("class").reset_index()
        per_class = Table.from_frame(pc, max_rows=max_rows)
        cm = metrics["confusion"].rename_axis(index="gold", columns=None).reset_index()
        confusion = Table.from_frame(cm, max_rows=max_rows)
    return AuditSection(
        n_audited=int(n_audited),
        confidence=float(confidence),
        accuracy=None if accuracy is None else Table.from_frame(accuracy, max_rows=max_rows),
        threshold_candidates=int(threshold_candidates),
        calibration=None
        if calibration is None
        else Table.from_frame(calibration.table, max_rows=max_rows),
        ece=None if calibration is None else float(calibration.ece),
        mce=None if calibration is None else float(calibration.mce),
        per_class=per_class,
        confusion=confusion,
        gold_source=gold_source,
        rule_accuracy=None
        if rule_accuracy is None
        else Table.from_frame(rule_accuracy, max_rows=max_rows),
        slices=None if slices is None else Table.from_frame(slices, max_rows=max_rows),
    )


def checks_section(results: dict[str, Any], *, max_rows: int = 50) -> list[CheckSummary]:
    """One :class:`CheckSummary` per result of :func:`labelmill.quality.run_checks`
    (flagged rows first, at most ``max_rows`` rows each).

    Examples
    --------
    >>> from labelmill.quality import run_checks
    >>> out = checks_section(run_checks(classes=["a", "b"], labels=[0, 1],
    ...                                 content_hashes=["h", "h"]))
    >>> [(c.name, c.n_flagged) for c in out][:2]
    [('label_issues', 0), ('conflicting_duplicates', 2)]
    """
    out = []
    for name, res in results.items():
        table = None
        if res.table is not None:
            frame = res.table
            flag = {"label_issues": "is_issue", "outliers": "is_outlier"}.get(name)
            if flag is not None:
                frame = frame[frame[flag]]
            table = Table.from_frame(frame, max_rows=max_rows)
            if name != "label_issues" and res.n_flagged > table.total_rows:
                table.total_rows = res.n_flagged
        out.append(CheckSummary(res.name, res.title, int(res.n_flagged), res.skipped, table))
    return out


def label_issues_section(
    ranked: Any,
    *,
    estimated_noise_rate: float | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> LabelIssuesSection:
    """Build the label-issues section from :func:`labelmill.quality.rank_label_issues`.

    Examples
    --------
    >>> import numpy as np
    >>> from labelmill.quality import rank_label_issues
    >>> p = np.array([[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.97, 0.03]])
    >>> sec = label_issues_section(rank_label_issues([0, 0, 1, 1], p, source="import"))
    >>> sec.n_checked, sec.n_issues, sec.by_source
    (4, 1, {'import': 1})
    """
    flagged = ranked[ranked["is_issue"]]
    by_source: dict[str, int] = {}
    if "source" in flagged:
        values, counts = np.unique(flagged["source"].astype(str), return_counts=True)
        by_source = {str(v): int(c) for v, c in zip(values, counts, strict=True)}
    columns = [c for c in _ISSUE_COLUMNS if c in flagged.columns]
    return LabelIssuesSection(
        n_checked=int(len(ranked)),
        n_issues=int(len(flagged)),
        estimated_noise_rate=estimated_noise_rate,
        by_source=by_source,
        top=Table.from_frame(flagged, max_rows=max_rows, columns=columns),
    )
