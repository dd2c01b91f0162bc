"""The task functions engines map over partitions (module-level, so workers import them).

On a Dask worker, a featurizer is kept resident on the worker object, keyed by its
version: its model (MiniLM for text) is loaded once per worker and reused by every later
partition, round and simulation step that the worker runs. The local engine passes its
own featurizer object, which keeps its model after the first batch in the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["apply_rules_task", "featurize_task", "predict_task", "resident_featurizer"]

_RESIDENT = "_labelmill_featurizers"
_RESIDENT_LOCK = "_labelmill_featurizers_lock"


def apply_rules_task(frame: Any, rules: bytes, cardinality: int) -> np.ndarray:
    """Votes of every rule (a cloudpickled list) on one frame, ``(len(frame), len(rules))``,
    -1 = abstain.

    Raises
    ------
    LabelingFunctionError, InputError
        As :func:`labelmill.lf.apply_lfs` (naming the rule and the item).
    """
    import cloudpickle

    from labelmill.lf import apply_lfs

    return np.asarray(apply_lfs(cloudpickle.loads(rules), frame, cardinality=cardinality))


def featurize_task(payloads: Sequence[Any], featurizer: Any) -> Any:
    """``featurizer.transform_partial(payloads)`` with the featurizer resident on this
    worker (one model load per worker)."""
    resident, lock = resident_featurizer(featurizer)
    if lock is None:
        return resident.transform_partial(list(payloads))
    with lock:  # one thread of a worker loads the model; the others wait for it
        if not getattr(resident, "_labelmill_warm", False):
            batch = resident.transform_partial(list(payloads))
            resident._labelmill_warm = True
            return batch
    return resident.transform_partial(list(payloads))


def resident_featurizer(featurizer: Any) -> tuple[Any, threading.Lock | None]:
    """The featurizer of the same version already resident on this Dask worker (or this
    one, made resident), and the worker's lock; ``(featurizer, None)`` outside a worker."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return featurizer, None
    state = worker.__dict__
    lock: threading.Lock = state.setdefault(_RESIDENT_LOCK, threading.Lock())
    with lock:
        resident: dict[str, Any] = state.setdefault(_RESIDENT, {})
        return resident.setdefault(featurizer.version, featurizer), lock


def predict_task(
    X: np.ndarray, model: Any, score: str | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """``model.predict_proba(X)`` and, when ``score`` names one, that active-learning score
    per row (see :mod:`labelmill.active`)."""
    proba = np.asarray(model.predict_proba(X))
    if score is None:
        return proba, None
    from labelmill.active import entropy_scores, least_confidence_scores, margin_scores

    scorer = {
        "least_confidence": least_confidence_scores,
        "margin": margin_scores,
        "entropy": entropy_scores,
    }[score]
    return proba, scorer(proba)
