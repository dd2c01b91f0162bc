"""Every consistency check in one call, and the review queue they imply.

:func:`run_checks` is what ``labelmill check`` and the check page call: it runs each check
whose inputs are given and says why the others did not run. :func:`review_queue` merges
the item-level tables into one row per item, most suspicious first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from labelmill.exceptions import InputError
from labelmill.quality._checks import (
    check_class_balance,
    find_conflicting_duplicates,
    find_disagreeing_annotators,
    find_rule_conflicts,
    find_schema_violations,
)
from labelmill.quality._label_issues import rank_label_issues
from labelmill.quality._outliers import find_outliers

__all__ = ["CHECKS", "CheckResult", "review_queue", "run_checks"]

#: name -> title of every check, in the order :func:`run_checks` returns them.
CHECKS: dict[str, str] = {
    "label_issues": "Labels that are probably wrong",
    "conflicting_duplicates": "Duplicates with different labels",
    "rule_conflicts": "Rules that contradict people",
    "schema_violations": "Answers outside the schema",
    "class_balance": "Class balance",
    "outliers": "Outliers in the feature space",
    "annotators": "People who disagree with the blind audit",
}
_ITEM_CHECKS = (
    "label_issues",
    "conflicting_duplicates",
    "rule_conflicts",
    "schema_violations",
    "outliers",
)


@dataclass
class CheckResult:
    """The outcome of one check.

    Attributes
    ----------
    name, title : str
    table : DataFrame or None
        The check's table (see the check function); None when skipped.
    n_flagged : int
        Rows that need attention (flagged items, classes or people).
    skipped : str or None
        Why the check did not run (a missing input), else None.
    """

    name: str
    title: str
    table: pd.DataFrame | None
    n_flagged: int
    skipped: str | None = None


def _flagged(name: str, table: pd.DataFrame) -> int:
    column = {
        "label_issues": "is_issue",
        "outliers": "is_outlier",
        "annotators": "flagged",
    }.get(name)
    if column is not None:
        return int(table[column].sum())
    if name == "class_balance":
        return int((table["too_few"] | table["imbalanced"]).sum())
    if name == "conflicting_duplicates":
        return int(table["item_id"].nunique())
    return len(table)


def run_checks(
    *,
    classes: Sequence[str],
    labels: Any = None,
    item_ids: Any = None,
    pred_probs: Any = None,
    label_source: Any = None,
    content_hashes: Any = None,
    embeddings: Any = None,
    vote_matrix: Any = None,
    rule_names: Sequence[str] | None = None,
    human_labels: Any = None,
    raw_answers: Any = None,
    raw_answer_ids: Any = None,
    annotators: Any = None,
    annotator_answers: Any = None,
    annotator_audit_labels: Any = None,
    duplicate_threshold: float = 0.98,
    duplicate_method: str = "exact",
    min_class_count: int = 20,
    max_table_rows: int | None = None,
    random_state: Any = 0,
) -> dict[str, CheckResult]:
    """Run every check whose inputs are given.

    All item arrays are aligned by position (``n_items`` rows, the same order as
    ``item_ids``).

    Parameters
    ----------
    classes : sequence of str
        The schema's class names.
    labels : (n_items,) int array, optional
        Current label of each item, -1 = none. Needed by label issues, duplicates and
        class balance.
    item_ids : (n_items,) array, optional
    pred_probs : (n_items, k) float array, optional
        Out-of-sample probabilities (:func:`cross_val_pred_probs`); label issues are
        looked for among the labeled items.
    label_source : str or (n_items,) array of str, optional
        Where each label came from (status or source name), shown with label issues.
    content_hashes : (n_items,) array, optional
    embeddings : (n_items, d) float array, optional
        For near duplicates and outliers (cosine).
    vote_matrix : (n_items, n_rules) int array, optional
        Rule votes, -1 = abstain; with ``human_labels`` for rule conflicts.
    rule_names : sequence of str, optional
    human_labels : (n_items,) int array, optional
        People's labels (review, audit, gold), -1 = none.
    raw_answers : sequence, optional
        Answers as stored or imported (names or indices) to check against the schema;
        ``raw_answer_ids`` names their items.
    raw_answer_ids : sequence, optional
    annotators, annotator_answers, annotator_audit_labels : (n_answers,) arrays, optional
        Per-person answers on audited items and the audit label of each item.
    duplicate_threshold : float, default=0.98
    duplicate_method : {"exact", "lsh"}, default="exact"
    min_class_count : int, default=20
    max_table_rows : int, optional
        Keep at most this many rows per table (the worst first); counts stay exact.
    random_state : int or None, default=0

    Returns
    -------
    dict of str to CheckResult
        Keyed and ordered as :data:`CHECKS`.

    Raises
    ------
    InputError
        Inputs of different lengths (or any error of the individual checks).

    Examples
    --------
    >>> import numpy as np
    >>> out = run_checks(classes=["ham", "spam"], labels=np.array([0, 1, 0, 1]),
    ...                  content_hashes=["a", "a", "b", "c"])
    >>> out["conflicting_duplicates"].n_flagged, out["label_issues"].skipped
    (2, 'needs labels and out-of-sample pred_probs')
    """
    k = len(classes)
    y = None if labels is None else np.asarray(labels)
    n = None if y is None else y.shape[0]
    if item_ids is not None and n is not None and len(item_ids) != n:
        raise InputError(
            f"run_checks expects item_ids of length {n}, one per label. Got {len(item_ids)} "
            "instead."
        )
    results: dict[str, CheckResult] = {}

    def done(name: str, table: pd.DataFrame) -> None:
        count = _flagged(name, table)
        if max_table_rows is not None:
            table = table.head(max_table_rows)
        results[name] = CheckResult(name, CHECKS[name], table, count)

    def skip(name: str, why: str) -> None:
        results[name] = CheckResult(name, CHECKS[name], None, 0, why)

    if y is not None and pred_probs is not None:
        P = np.asarray(pred_probs, dtype=np.float64)
        if P.ndim != 2 or P.shape[0] != n:
            raise InputError(
                f"run_checks expects pred_probs of shape ({n}, {k}), one row per item. Got "
                f"{P.shape} instead."
            )
        known = np.flatnonzero(y >= 0)
        ids = np.arange(n) if item_ids is None else np.asarray(item_ids)
        source = label_source
        if source is not None and np.ndim(source) == 1:
            source = np.asarray(source)[known]
        if known.size == 0:
            skip("label_issues", "no item has a label yet")
        else:
            done(
                "label_issues",
                rank_label_issues(
                    y[known],
                    P[known],
                    item_ids=ids[known],
                    class_names=classes,
                    source=source,
                    only_issues=False,
                ),
            )
    else:
        skip("label_issues", "needs labels and out-of-sample pred_probs")

    if y is not None and (content_hashes is not None or embeddings is not None):
        done(
            "conflicting_duplicates",
            find_conflicting_duplicates(
                y,
                content_hashes=content_hashes,
                embeddings=embeddings,
                threshold=duplicate_threshold,
                method=duplicate_method,
                item_ids=item_ids,
                class_names=classes,
                random_state=random_state,
            ),
        )
    else:
        skip("conflicting_duplicates", "needs labels and content hashes or embeddings")

    if vote_matrix is not None and human_labels is not None:
        done(
            "rule_conflicts",
            find_rule_conflicts(
                vote_matrix,
                human_labels,
                rule_names=rule_names,
                item_ids=item_ids,
                class_names=classes,
            ),
        )
    else:
        skip("rule_conflicts", "needs rule votes and people's labels")

    if raw_answers is not None:
        done(
            "schema_violations",
            find_schema_violations(raw_answers, classes, item_ids=raw_answer_ids),
        )
    else:
        skip("schema_violations", "needs the raw answers")

    if y is not None:
        done(
            "class_balance",
            check_class_balance(y, n_classes=k, class_names=classes, min_count=min_class_count),
        )
    else:
        skip("class_balance", "needs labels")

    if embeddings is not None:
        done(
            "outliers",
            find_outliers(
                embeddings,
                metric="cosine",
                item_ids=item_ids,
                labels=None,
                random_state=random_state,
            ),
        )
    else:
        skip("outliers", "needs embeddings")

    if annotators is not None and annotator_answers is not None:
        if annotator_audit_labels is None:
            skip("annotators", "needs the audit label of each answered item")
        else:
            done(
                "annotators",
                find_disagreeing_annotators(annotators, annotator_answers, annotator_audit_labels),
            )
    else:
        skip("annotators", "needs people's answers on audited items")
    return {name: results[name] for name in CHECKS}


def review_queue(results: dict[str, CheckResult]) -> pd.DataFrame:
    """One row per item that some check flagged: what to review first.

    Parameters
    ----------
    results : dict of str to CheckResult
        From :func:`run_checks`.

    Returns
    -------
    DataFrame
        ``item_id, n_checks, checks, reasons, issue_score``: items flagged by more checks
        first, then by label-issue score. ``reasons`` joins one sentence per check.

    Examples
    --------
    >>> import numpy as np
    >>> out = run_checks(classes=["ham", "spam"], labels=np.array([0, 1, 0, 1]),
    ...                  content_hashes=["a", "a", "b", "c"])
    >>> review_queue(out)["item_id"].tolist()
    [0, 1]
    """
    parts = []
    for name in _ITEM_CHECKS:
        res = results.get(name)
        if res is None or res.table is None or res.table.empty:
            continue
        t = res.table
        if name == "label_issues":
            t = t[t["is_issue"]]
            reasons = [
                f"labeled {g!r}, probably {s!r} (issue score {q:.2f})"
                for g, s, q in zip(
                    t["given_label"], t["suggested_label"], t["issue_score"], strict=True
                )
            ]
            frame = pd.DataFrame(
                {"item_id": t["item_id"], "check": name, "reason": reasons}
            ).assign(issue_score=t["issue_score"].to_numpy())
        else:
            if name == "outliers":
                t = t[t["is_outlier"]]
            frame = pd.DataFrame(
                {"item_id": t["item_id"], "check": name, "reason": t["reason"]}
            ).assign(issue_score=np.nan)
        parts.append(frame.drop_duplicates(["item_id", "check"]))
    if not parts:
        return pd.DataFrame(columns=["item_id", "n_checks", "checks", "reasons", "issue_score"])
    rows = pd.concat(parts, ignore_index=True)
    grouped = rows.groupby("item_id", sort=False).agg(
        n_checks=("check", "nunique"),
        checks=("check", lambda c: ", ".join(dict.fromkeys(c))),
        reasons=("reason", lambda r: "; ".join(dict.fromkeys(r))),
        issue_score=("issue_score", "max"),
    )
    grouped = grouped.reset_index()
    order = np.lexsort(
        (grouped["issue_score"].fillna(-1.0).to_numpy() * -1, -grouped["n_checks"].to_numpy())
    )
    return grouped.iloc[order].reset_index(drop=True)
