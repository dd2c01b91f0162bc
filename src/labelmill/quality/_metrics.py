"""Classification metrics of labels against gold (thin layer over scikit-learn)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, cohen_kappa_score, precision_recall_fscore_support

from labelmill.exceptions import InputError

__all__ = ["classification_metrics"]


def classification_metrics(
    y_true: Any,
    y_pred: Any,
    *,
    n_classes: int | None = None,
    class_names: Any = None,
) -> dict[str, Any]:
    """Accuracy, macro F1, Cohen's kappa and per-class precision/recall/F1.

    Parameters
    ----------
    y_true, y_pred : (n_items,) int arrays
        Gold and predicted classes in ``0..k-1``.
    n_classes : int, optional
        ``k``; by default ``max(y_true, y_pred) + 1``.
    class_names : sequence of str, optional
        Index of the per-class table; defaults to ``"0".."k-1"``.

    Returns
    -------
    dict
        ``accuracy``, ``macro_f1``, ``cohen_kappa`` (floats), ``n_items`` (int) and
        ``per_class`` (DataFrame with precision, recall, f1, support).

    Raises
    ------
    InputError
        Lengths differ, the arrays are empty, or labels are out of range.

    Examples
    --------
    >>> m = classification_metrics([0, 1, 1, 0], [0, 1, 0, 0])
    >>> m["accuracy"], float(m["per_class"].loc["1", "recall"])
    (0.75, 0.5)
    """
    t = np.asarray(y_true)
    p = np.asarray(y_pred)
    if t.ndim != 1 or t.shape != p.shape or t.size == 0:
        raise InputError(
            "classification_metrics expects y_true and y_pred as non-empty 1-D arrays of the "
            f"same length. Got shapes {t.shape} and {p.shape} instead."
        )
    if t.dtype.kind not in "iu" or p.dtype.kind not in "iu" or min(t.min(), p.min()) < 0:
        raise InputError(
            "classification_metrics expects class indices 0..k-1 (ints). Got "
            f"dtypes {t.dtype}/{p.dtype} or negative values instead; drop unlabeled items."
        )
    k = int(max(t.max(), p.max())) + 1 if n_classes is None else int(n_classes)
    if max(t.max(), p.max()) >= k:
        raise InputError(
            f"classification_metrics got a label >= n_classes={k}. Pass the right n_classes."
        )
    names = [str(c) for c in range(k)] if class_names is None else [str(c) for c in class_names]
    if len(names) != k:
        raise InputError(
            f"classification_metrics expects {k} class_names. Got {len(names)} instead."
        )
    labels = list(range(k))
    prec, rec, f1, support = precision_recall_fscore_support(t, p, labels=labels, zero_division=0.0)
    per_class = pd.DataFrame(
        {"precision": prec, "recall": rec, "f1": f1, "support": support}, index=names
    )
    present = support > 0
    return {
        "n_items": int(t.size),
        "accuracy": float(accuracy_score(t, p)),
        "macro_f1": float(np.mean(f1[present])) if present.any() else 0.0,
        "cohen_kappa": float(cohen_kappa_score(t, p, labels=labels)),
        "per_class": per_class,
    }
