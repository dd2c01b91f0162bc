"""Consistency checks: pure functions from arrays to tables that can feed a review queue.

Every item-level table has an ``item_id`` column and a ``reason`` column (one sentence a
reviewer can read), worst rows first. Class-level and person-level tables have one row
per class or person. :func:`run_checks` runs every check whose inputs are given.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.stats import fisher_exact

from labelmill.exceptions import ConfigError, InputError
from labelmill.quality._duplicates import _exact_groups, find_duplicates
from labelmill.quality._intervals import exact_interval
from labelmill.utils._validation import check_positive, check_unit_interval

__all__ = [
    "check_class_balance",
    "find_conflicting_duplicates",
    "find_disagreeing_annotators",
    "find_rule_conflicts",
    "find_schema_violations",
]


def _ids(item_ids: Any, n: int, owner: str) -> NDArray[Any]:
    if item_ids is None:
        return np.arange(n)
    ids = np.asarray(item_ids)
    if ids.shape != (n,):
        raise InputError(
            f"{owner} expects item_ids of shape ({n},), one per item. Got {ids.shape} instead."
        )
    return ids


def _names(class_names: Any, k: int | None, owner: str) -> list[str] | None:
    if class_names is None:
        return None
    names = [str(c) for c in class_names]
    if k is not None and len(names) < k:
        raise InputError(
            f"{owner} expects at least {k} class_names (labels go up to {k - 1}). Got "
            f"{len(names)} instead."
        )
    return names


def _label_array(labels: Any, owner: str, name: str = "labels") -> NDArray[np.int64]:
    y = np.asarray(labels)
    if y.ndim != 1:
        raise InputError(
            f"{owner} expects {name} as a 1-D int array, -1 = no label. Got shape {y.shape} "
            "instead."
        )
    if y.size and y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
        y = y.astype(np.int64)
    if y.size and (y.dtype.kind not in "iu" or y.min() < -1):
        raise InputError(
            f"{owner} expects {name} as class indices 0..k-1 with -1 = no label. Got dtype "
            f"{y.dtype} or values below -1 instead; map class names to indices first."
        )
    return y.astype(np.int64)


def _show(label: int, names: list[str] | None) -> Any:
    if label < 0:
        return None
    if names is None or label >= len(names):
        return int(label)
    return names[label]


# --------------------------------------------------------------------------- duplicates
def find_conflicting_duplicates(
    labels: Any,
    *,
    content_hashes: Any = None,
    embeddings: Any = None,
    threshold: float = 0.98,
    method: str = "exact",
    item_ids: Any = None,
    class_names: Any = None,
    random_state: Any = None,
) -> pd.DataFrame:
    """Exact or near duplicates that carry different labels.

    Items are grouped by equal ``content_hashes`` and by cosine similarity of
    ``embeddings`` ``>= threshold`` (connected components of both relations); a group is
    reported when its labeled members disagree. Unlabeled members (-1) are listed too:
    they will get whichever label the group settles on.

    Parameters
    ----------
    labels : (n_items,) int array
        Current label of each item, -1 = none.
    content_hashes : (n_items,) array, optional
        Exact duplicates share a hash.
    embeddings : (n_items, d) float array, optional
        Near duplicates: cosine similarity ``>= threshold``.
    threshold : float, default=0.98
    method : {"exact", "lsh"}, default="exact"
        Near-duplicate search of :func:`find_duplicates` (``"lsh"`` for large sets).
    item_ids, class_names : optional
        Shown in the table instead of positions and class indices.
    random_state : int or None
        Seeds ``"lsh"``.

    Returns
    -------
    DataFrame
        One row per member of a conflicting group: ``group, kind ("exact" or "near"),
        item_id, label, group_size, group_labels ("ham: 2, spam: 1"), majority_label,
        agrees_with_majority, reason``. Groups with more disagreement first.

    Raises
    ------
    InputError
        Neither ``content_hashes`` nor ``embeddings`` given, or lengths differ.

    Examples
    --------
    >>> t = find_conflicting_duplicates([0, 1, 0, 1], content_hashes=["a", "a", "b", "c"],
    ...                                 class_names=["ham", "spam"])
    >>> t[["item_id", "label", "kind"]].values.tolist()
    [[0, 'ham', 'exact'], [1, 'spam', 'exact']]
    """
    owner = "find_conflicting_duplicates"
    y = _label_array(labels, owner)
    n = y.shape[0]
    if content_hashes is None and embeddings is None:
        raise InputError(
            f"{owner} needs content_hashes or embeddings (or both) to find duplicates. Got "
            "neither; pass the items' content hashes and/or their embeddings."
        )
    ids = _ids(item_ids, n, owner)
    names = _names(class_names, int(y.max()) + 1 if n and y.max() >= 0 else None, owner)
    parent = np.arange(n)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    def union(groups: list[list[int]]) -> None:
        for g in groups:
            root = find(g[0])
            for j in g[1:]:
                r = find(j)
                if r != root:
                    parent[max(r, root)] = min(r, root)
                    root = min(r, root)

    hashes = None
    if content_hashes is not None:
        hashes = np.asarray(content_hashes)
        if hashes.shape != (n,):
            raise InputError(
                f"{owner} expects content_hashes of shape ({n},), one per label. Got "
                f"{hashes.shape} instead."
            )
        union(_exact_groups(hashes))
    if embeddings is not None:
        E = np.asarray(embeddings)
        if E.ndim != 2 or E.shape[0] != n:
            raise InputError(
                f"{owner} expects embeddings of shape ({n}, n_features), one row per label. "
                f"Got {E.shape} instead."
            )
        union(find_duplicates(E, threshold=threshold, method=method, random_state=random_state))
    roots = np.array([find(i) for i in range(n)], dtype=np.int64)
    columns = [
        "group",
        "kind",
        "item_id",
        "label",
        "group_size",
        "group_labels",
        "majority_label",
        "agrees_with_majority",
        "reason",
    ]
    rows: list[tuple[Any, ...]] = []
    conflicts: list[tuple[int, float, list[int]]] = []
    for members in _exact_groups(roots):
        labeled = y[members][y[members] >= 0]
        if np.unique(labeled).size < 2:
            continue
        counts = np.bincount(labeled)
        conflicts.append((len(members), 1.0 - counts.max() / labeled.size, members))
    conflicts.sort(key=lambda c: (-c[1], -c[0], c[2][0]))
    for g, (size, _, members) in enumerate(conflicts):
        labeled = y[members][y[members] >= 0]
        counts = np.bincount(labeled)
        majority = int(counts.argmax()) if np.sum(counts == counts.max()) == 1 else -1
        summary = ", ".join(
            f"{_show(int(c), names)}: {int(counts[c])}" for c in np.flatnonzero(counts)
        )
        exact = hashes is not None and np.unique(hashes[members]).size == 1
        kind = "exact" if exact else "near"
        what = "identical content" if exact else f"near-identical content (cosine >= {threshold})"
        for i in members:
            label = int(y[i])
            reason = f"{size} items with {what} have different labels ({summary})"
            rows.append(
                (
                    g,
                    kind,
                    ids[i],
                    _show(label, names),
                    size,
                    summary,
                    _show(majority, names),
                    bool(label >= 0 and label == majority),
                    reason,
                )
            )
    return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------- rules vs people
def find_rule_conflicts(
    L: Any,
    human_labels: Any,
    *,
    rule_names: Sequence[str] | None = None,
    item_ids: Any = None,
    class_names: Any = None,
) -> pd.DataFrame:
    """Rule votes that contradict a person's answer on the same item.

    Parameters
    ----------
    L : (n_items, n_rules) int array
        Votes of the rules, -1 = abstain.
    human_labels : (n_items,) int array
        A person's label per item (review answers, audit answers or gold), -1 = none.
    rule_names : sequence of str, optional
        One per column of ``L``; default ``rule_0, rule_1, ...``.
    item_ids, class_names : optional

    Returns
    -------
    DataFrame
        One row per (item, rule) contradiction: ``item_id, rule, rule_vote, human_label,
        rule_agreement, reason`` where ``rule_agreement`` is the share of the rule's votes
        on person-labeled items that agree with the person. Rules that agree least
        first, then items.

    Raises
    ------
    InputError
        ``L`` not 2-D ints >= -1, lengths differ, or wrong number of ``rule_names``.

    Examples
    --------
    >>> L = [[0, -1], [1, 1], [0, 0]]
    >>> t = find_rule_conflicts(L, [0, 0, -1], rule_names=["kw", "regex"])
    >>> t[["item_id", "rule", "rule_vote", "human_label"]].values.tolist()
    [[1, 'regex', 1, 0], [1, 'kw', 1, 0]]
    """
    owner = "find_rule_conflicts"
    V = np.asarray(L)
    if V.ndim != 2 or (V.size and (V.dtype.kind not in "iu" or V.min() < -1)):
        raise InputError(
            f"{owner} expects L as a 2-D int array (n_items, n_rules) with -1 = abstain. Got "
            f"shape {V.shape}, dtype {V.dtype} instead."
        )
    n, m = V.shape
    h = _label_array(human_labels, owner, "human_labels")
    if h.shape != (n,):
        raise InputError(
            f"{owner} expects human_labels of shape ({n},), one per row of L. Got {h.shape} "
            "instead."
        )
    names = [f"rule_{j}" for j in range(m)] if rule_names is None else list(rule_names)
    if len(names) != m:
        raise InputError(
            f"{owner} expects {m} rule_names, one per column of L. Got {len(names)} instead."
        )
    ids = _ids(item_ids, n, owner)
    k = int(max(V.max(initial=-1), h.max(initial=-1))) + 1
    cls = _names(class_names, k if k > 0 else None, owner)
    known = h >= 0
    voted = (V >= 0) & known[:, None]
    agree = voted & (h[:, None] == V)
    n_voted = voted.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        agreement = np.where(n_voted > 0, agree.sum(axis=0) / np.maximum(n_voted, 1), np.nan)
    rows_i, cols_j = np.nonzero(voted & ~agree)
    order = np.lexsort((rows_i, np.nan_to_num(agreement[cols_j], nan=2.0)))
    rows_i, cols_j = rows_i[order], cols_j[order]
    return pd.DataFrame(
        {
            "item_id": ids[rows_i],
            "rule": [names[j] for j in cols_j],
            "rule_vote": [_show(int(V[i, j]), cls) for i, j in zip(rows_i, cols_j, strict=True)],
            "human_label": [_show(int(h[i]), cls) for i in rows_i],
            "rule_agreement": agreement[cols_j],
            "reason": [
                f"rule {names[j]!r} votes {_show(int(V[i, j]), cls)!r} but a person answered "
                f"{_show(int(h[i]), cls)!r} (the rule agrees with people on "
                f"{agreement[j]:.0%} of {int(n_voted[j])} items)"
                for i, j in zip(rows_i, cols_j, strict=True)
            ],
        }
    )


# --------------------------------------------------------------------------- schema
def find_schema_violations(
    answers: Any,
    classes: Sequence[str],
    *,
    multilabel: bool = False,
    item_ids: Any = None,
) -> pd.DataFrame:
    """Answers that do not fit the schema: unknown class names, indices out of range,
    empty answers, several classes in a single-label task.

    Parameters
    ----------
    answers : sequence
        Raw answers as stored or imported: class names, class indices (-1 or None = no
        answer, which is not a violation), or lists of them for multi-label tasks.
    classes : sequence of str
        The schema's ordered class names.
    multilabel : bool, default=False
    item_ids : optional

    Returns
    -------
    DataFrame
        ``item_id, answer, reason, suggestion`` for each bad answer (``suggestion``: the
        closest class name, if any is close).

    Raises
    ------
    ConfigError
        ``classes`` empty or with duplicates.

    Examples
    --------
    >>> t = find_schema_violations(["spam", "spma", 3, None], ["ham", "spam"])
    >>> t[["item_id", "reason", "suggestion"]].values.tolist()[0]
    [1, "'spma' is not a class (expected one of 'ham', 'spam')", 'spam']
    """
    owner = "find_schema_violations"
    names = [str(c) for c in classes]
    if not names or len(set(names)) != len(names):
        raise ConfigError(
            f"The 'classes' parameter of {owner} must be a non-empty list of unique class "
            f"names. Got {list(classes)!r} instead."
        )
    values = list(answers)
    ids = _ids(item_ids, len(values), owner)
    expected = ", ".join(repr(c) for c in names)
    k = len(names)
    rows: list[tuple[Any, Any, str, str | None]] = []

    def one(value: Any) -> tuple[str, str | None] | None:
        if isinstance(value, bool):
            return f"{value!r} is not a class (expected one of {expected})", None
        if isinstance(value, int | np.integer):
            if 0 <= int(value) < k:
                return None
            return f"class index {int(value)} is outside 0..{k - 1}", None
        if isinstance(value, float | np.floating):
            if np.isfinite(value) and float(value).is_integer():
                return one(int(value))
            return f"{value!r} is not a class index", None
        text = str(value).strip()
        if text in names:
            return None
        if text == "":
            return "the answer is empty", None
        close = difflib.get_close_matches(text, names, n=1, cutoff=0.6)
        lowered = [c for c in names if c.lower() == text.lower()]
        hint = lowered[0] if lowered else (close[0] if close else None)
        return f"{text!r} is not a class (expected one of {expected})", hint

    for i, value in enumerate(values):
        if value is None or (isinstance(value, int | np.integer) and int(value) == -1):
            continue
        if isinstance(value, float) and np.isnan(value):
            continue
        if isinstance(value, list | tuple | set | np.ndarray):
            parts = list(value)
            if not multilabel and len(parts) != 1:
                what = "no class" if not parts else f"{len(parts)} classes"
                rows.append((ids[i], value, f"{what} given in a single-label task", None))
                continue
            for part in parts:
                bad = one(part)
                if bad:
                    rows.append((ids[i], value, bad[0], bad[1]))
                    break
            continue
        bad = one(value)
        if bad:
            rows.append((ids[i], value, bad[0], bad[1]))
    return pd.DataFrame(rows, columns=["item_id", "answer", "reason", "suggestion"])


# ----------------------------------------------------------------------- class balance
def check_class_balance(
    labels: Any,
    *,
    n_classes: int,
    class_names: Any = None,
    min_count: int = 20,
    max_ratio: float = 10.0,
) -> pd.DataFrame:
    """Classes with too few labeled examples, and classes far rarer than the largest.

    Parameters
    ----------
    labels : (n_items,) int array
        -1 = unlabeled (ignored).
    n_classes : int
        ``k`` (so that classes with no example at all are reported).
    class_names : optional
    min_count : int, default=20
        Fewer labeled examples than this is flagged ``too_few``: too few to estimate the
        class's accuracy (an exact 95% interval on 20 items is about +-0.2 wide) or to
        cross-validate.
    max_ratio : float, default=10
        A class whose count is below ``largest / max_ratio`` is flagged ``imbalanced``.

    Returns
    -------
    DataFrame
        One row per class: ``class, count, share, ratio_to_largest, too_few, imbalanced,
        reason`` (``reason`` empty when the class is fine), rarest first.

    Raises
    ------
    ConfigError
        ``n_classes``, ``min_count`` or ``max_ratio`` out of range.
    InputError
        ``labels`` not ints in ``-1..n_classes-1``.

    Examples
    --------
    >>> t = check_class_balance([0] * 50 + [1] * 3, n_classes=3, class_names=["a", "b", "c"])
    >>> t[["class", "count", "too_few"]].values.tolist()
    [['c', 0, True], ['b', 3, True], ['a', 50, False]]
    """
    owner = "check_class_balance"
    k = check_positive(n_classes, "n_classes", owner, integer=True)
    min_count = check_positive(min_count, "min_count", owner, integer=True)
    max_ratio = check_positive(max_ratio, "max_ratio", owner)
    y = _label_array(labels, owner)
    if y.size and y.max() >= k:
        raise InputError(
            f"{owner} expects labels in -1..{k - 1}. Got {int(y.max())}; check n_classes."
        )
    names = _names(class_names, k, owner) or [str(c) for c in range(k)]
    counts = np.bincount(y[y >= 0], minlength=k)
    total = max(int(counts.sum()), 1)
    largest = max(int(counts.max()), 1)
    rows = []
    for c in range(k):
        count = int(counts[c])
        too_few = count < min_count
        imbalanced = count * float(max_ratio) < largest
        reasons = []
        if count == 0:
            reasons.append("no labeled example")
        elif too_few:
            reasons.append(f"only {count} labeled examples (fewer than {min_count})")
        if imbalanced and count > 0:
            reasons.append(f"{largest / count:.0f}x rarer than the largest class")
        rows.append(
            (
                names[c],
                count,
                count / total,
                count / largest,
                too_few,
                imbalanced,
                "; ".join(reasons),
            )
        )
    table = pd.DataFrame(
        rows,
        columns=[
            "class",
            "count",
            "share",
            "ratio_to_largest",
            "too_few",
            "imbalanced",
            "reason",
        ],
    )
    return table.sort_values(["count", "class"], kind="stable").reset_index(drop=True)


# ----------------------------------------------------------------- people vs the audit
def find_disagreeing_annotators(
    annotators: Any,
    answers: Any,
    audit_labels: Any,
    *,
    alpha: float = 0.05,
    min_answers: int = 10,
) -> pd.DataFrame:
    """People who disagree with the blind audit far more often than the others.

    Each person's disagreement rate on audited items is compared with the pooled rate of
    everybody else by a one-sided Fisher exact test; p-values are adjusted for the number
    of people by Holm's step-down method, so the chance of flagging anyone who is not
    worse than the others is at most ``alpha``.

    Parameters
    ----------
    annotators : (n_answers,) array of str
        Who gave each answer.
    answers : (n_answers,) int array
        Their answer (class index).
    audit_labels : (n_answers,) int array
        The blind audit label of the same item (from someone else). Leave out a person's
        answers on items they audited themselves.
    alpha : float, default=0.05
        Family-wise error rate of the flags.
    min_answers : int, default=10
        People with fewer answers are listed but never flagged.

    Returns
    -------
    DataFrame
        One row per person: ``annotator, n_answers, n_disagree, disagreement_rate,
        lower, upper`` (exact 95% interval), ``others_rate, rate_ratio, p_value,
        p_adjusted, flagged, reason``, most suspicious first.

    Raises
    ------
    ConfigError
        ``alpha`` not in (0, 1) or ``min_answers`` not a positive int.
    InputError
        Lengths differ, or empty input.

    Examples
    --------
    >>> who = ["ann"] * 40 + ["bob"] * 40 + ["cy"] * 40
    >>> said = [0] * 40 + [0] * 40 + [0] * 20 + [1] * 20
    >>> t = find_disagreeing_annotators(who, said, [0] * 120)
    >>> t[["annotator", "n_disagree", "flagged"]].values.tolist()[0]
    ['cy', 20, True]
    """
    owner = "find_disagreeing_annotators"
    alpha = check_unit_interval(alpha, "alpha", owner)
    min_answers = check_positive(min_answers, "min_answers", owner, integer=True)
    who = np.asarray(annotators).astype(str)
    a = _label_array(answers, owner, "answers")
    ref = _label_array(audit_labels, owner, "audit_labels")
    if not (who.ndim == 1 and who.shape == a.shape == ref.shape):
        raise InputError(
            f"{owner} expects annotators, answers and audit_labels of the same length. Got "
            f"{who.shape}, {a.shape} and {ref.shape} instead."
        )
    keep = (a >= 0) & (ref >= 0)
    if not keep.any():
        raise InputError(
            f"{owner} expects at least one answer on an audited item. Got none; people must "
            "answer items of the blind audit sample before they can be compared with it."
        )
    who, wrong = who[keep], a[keep] != ref[keep]
    people = sorted(set(who.tolist()))
    total_n, total_wrong = wrong.size, int(wrong.sum())
    stats = []
    for person in people:
        mine = who == person
        n, d = int(mine.sum()), int(wrong[mine].sum())
        on, od = total_n - n, total_wrong - d
        if on == 0:
            p = 1.0
        else:
            p = float(fisher_exact([[d, n - d], [od, on - od]], alternative="greater")[1])
        stats.append((person, n, d, on, od, p))
    eligible = [s for s in stats if s[1] >= min_answers]
    adjusted: dict[str, float] = {}
    running = 0.0
    for rank, s in enumerate(sorted(eligible, key=lambda s: s[5])):
        running = max(running, min(1.0, (len(eligible) - rank) * s[5]))
        adjusted[s[0]] = running
    lo, hi = exact_interval([s[2] for s in stats], [s[1] for s in stats])
    rows = []
    for (person, n, d, on, od, p), low, high in zip(stats, lo, hi, strict=True):
        rate = d / n
        others = od / on if on else float("nan")
        ratio = rate / others if on and others > 0 else (float("inf") if d else float("nan"))
        p_adj = adjusted.get(person, float("nan"))
        flagged = bool(n >= min_answers and p_adj < alpha)
        if n < min_answers:
            reason = f"only {n} audited answers (fewer than {min_answers}): not tested"
        elif flagged:
            reason = (
                f"disagrees with the blind audit on {d} of {n} items ({rate:.0%}) vs "
                f"{others:.0%} for the others (Holm-adjusted p = {p_adj:.2g})"
            )
        else:
            reason = ""
        rows.append((person, n, d, rate, low, high, others, ratio, p, p_adj, flagged, reason))
    table = pd.DataFrame(
        rows,
        columns=[
            "annotator",
            "n_answers",
            "n_disagree",
            "disagreement_rate",
            "lower",
            "upper",
            "others_rate",
            "rate_ratio",
            "p_value",
            "p_adjusted",
            "flagged",
            "reason",
        ],
    )
    return table.sort_values(["p_value", "annotator"], kind="stable").reset_index(drop=True)
