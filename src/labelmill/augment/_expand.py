"""The round's entry point: augmented, featurized training rows (private)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from labelmill.augment._apply import augment
from labelmill.exceptions import ConfigError, InputError
from labelmill.schema import DATA_TYPES
from labelmill.utils._validation import check_choice, check_positive

__all__ = ["augment_training_rows"]


def _featurize(featurizer: Any, payloads: list[Any]) -> tuple[NDArray[np.float32], NDArray[Any]]:
    """Features of ``payloads`` and the mask of rows that could be featurized."""
    partial = getattr(featurizer, "transform_partial", None)
    if callable(partial):
        batch = partial(payloads)
        X = np.asarray(batch.X, dtype=np.float32)
        return X, ~np.asarray(batch.failed, dtype=bool)
    X = np.asarray(featurizer.transform(payloads), dtype=np.float32)
    return X, np.ones(len(payloads), dtype=bool)


def augment_training_rows(
    payloads: Sequence[Any],
    Y: Any,
    weights: Any,
    *,
    data_type: str,
    featurizer: Any,
    n_per_item: int = 1,
    seed: int,
    functions: Sequence[Any] | None = None,
    weight_factor: float = 0.5,
    max_rows: int = 1000,
    corpus: Sequence[Any] | None = None,
    fault_tolerant: bool = False,
) -> tuple[NDArray[np.float32], NDArray[Any], NDArray[np.float64]]:
    """Augmented training rows for the end model, featurized: ``(X_aug, Y_aug, w_aug)``.

    Augments the given training rows with :func:`augment` (the round passes only the
    rows people answered in review, never blind audit answers: those certify the
    threshold), featurizes the new payloads with ``featurizer`` and returns rows to
    stack under the real ones: ``np.vstack([X, X_aug])``, ``np.vstack([Y, Y_aug])``,
    ``np.concatenate([w, w_aug])``.

    Each augmented row weighs ``weight_factor`` times its source row (default half), so
    that the real answers keep the larger say. At most ``max_rows`` new payloads are
    made per call (a random subset of the (row, copy) pairs, under ``seed``), which
    bounds the featurization cost: about 600 texts per second with the MiniLM
    featurizer on two cores, so 1000 rows take under two seconds.

    Image payloads are written as PNG files to a temporary folder for the featurizer
    (labelmill's image featurizers read files), which is removed before returning.
    Table rows are interpolated and noised as rows (dicts), before featurization.

    Parameters
    ----------
    payloads : sequence
        One payload per training row (see :func:`augment`).
    Y : (n_rows,) int array or (n_rows, k) float array
        Hard class indices or target rows; ``Y_aug`` has the same kind.
    weights : (n_rows,) float array or None
        Sample weights of the rows (None: 1 each).
    data_type : {"text", "image", "tabular"}
    featurizer : object with ``transform(list_of_payloads) -> (n, d) array``
        Fitted when it needs it (a :class:`~labelmill.features.Featurizer`, or any such
        object); ``transform_partial`` is used when present, and rows that fail to
        featurize are dropped.
    n_per_item : int, default=1
    seed : int
        Seed of every random choice; the same call gives the same rows.
    functions : sequence of TransformationFunction, optional
        Default: :func:`~labelmill.augment.default_functions` for ``data_type``.
    weight_factor : float in (0, 1], default=0.5
    max_rows : int, default=1000
    corpus : sequence, optional
        Payloads that text functions learn word neighbours from (e.g. every item's text);
        default: ``payloads``.
    fault_tolerant : bool, default=False
        True: a transformation function that raises on an item loses that copy only
        (see :func:`augment`); False: the call stops with the error.

    Returns
    -------
    X_aug : (n_aug, d) float32 array
    Y_aug : (n_aug,) int array or (n_aug, k) float array
    w_aug : (n_aug,) float array

    Raises
    ------
    ConfigError
        Unknown ``data_type``, bad ``n_per_item``, ``max_rows``, ``weight_factor`` or a
        featurizer without ``transform``.
    InputError
        ``Y`` or ``weights`` do not match ``payloads``; the featurizer returned the wrong
        number of rows.
    TransformationFunctionError
        A transformation function raised (names the function and the item).

    Examples
    --------
    >>> from labelmill.augment import TokenDropout
    >>> from labelmill.features import HashingTextFeaturizer
    >>> X, Y, w = augment_training_rows(
    ...     ["free money now click here", "see you at lunch today"], [1, 0], [5.0, 5.0],
    ...     data_type="text", featurizer=HashingTextFeaturizer(n_features=8), seed=0,
    ...     functions=[TokenDropout(0.3)])
    >>> X.shape, Y.tolist(), w.tolist()
    ((2, 8), [1, 0], [2.5, 2.5])
    """
    owner = "augment_training_rows"
    check_choice(data_type, "data_type", owner, DATA_TYPES)
    n_per_item = check_positive(n_per_item, "n_per_item", owner, integer=True)
    max_rows = check_positive(max_rows, "max_rows", owner, integer=True)
    ok = isinstance(weight_factor, (int, float)) and not isinstance(weight_factor, bool)
    if not ok or not 0 < weight_factor <= 1:
        raise ConfigError(
            f"The 'weight_factor' parameter of {owner} must be a float in (0, 1]. "
            f"Got {weight_factor!r} instead."
        )
    if not callable(getattr(featurizer, "transform", None)):
        raise ConfigError(
            f"The 'featurizer' parameter of {owner} must have a transform(payloads) method. "
            f"Got {type(featurizer).__name__} instead."
        )
    items = list(payloads)
    n = len(items)
    Ya = np.asarray(Y)
    if Ya.ndim not in (1, 2) or Ya.shape[0] != n:
        raise InputError(
            f"{owner} needs one row of Y per payload. Got Y of shape {Ya.shape} for {n} payloads."
        )
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (n,):
        raise InputError(
            f"{owner} needs one weight per payload. Got weights of shape {w.shape} for "
            f"{n} payloads."
        )

    # which (row, copy) pairs to make, at most max_rows of them
    rng = np.random.default_rng([int(seed), 0xA06])
    total = n * n_per_item
    if total > max_rows:
        chosen = np.sort(rng.choice(total, size=max_rows, replace=False))
    else:
        chosen = np.arange(total)
    rows = chosen // n_per_item
    uniq, per_row = np.unique(rows, return_counts=True)
    picked = [items[int(i)] for i in uniq]
    result = augment(
        picked,
        Ya[uniq],
        data_type=data_type,
        functions=functions,
        n_per_item=int(per_row.max()) if len(per_row) else 1,
        random_state=int(seed),
        corpus=corpus if corpus is not None else (items if data_type == "text" else None),
        fault_tolerant=fault_tolerant,
    )
    # keep, per source row, only as many copies as were chosen for it
    keep_n = dict(zip(uniq.tolist(), per_row.tolist(), strict=True))
    made: dict[int, int] = {}
    keep = np.zeros(len(result.payloads), dtype=bool)
    for pos, s in enumerate(result.source):
        src = int(uniq[s])
        if made.get(src, 0) < keep_n[src]:
            keep[pos] = True
            made[src] = made.get(src, 0) + 1
    new_payloads = [p for p, k in zip(result.payloads, keep, strict=True) if k]
    src_rows = uniq[result.source[keep]]
    if not new_payloads:
        from labelmill.features import Featurizer

        empty = (
            np.asarray(featurizer.transform([]), dtype=np.float32)
            if isinstance(featurizer, Featurizer)
            else np.zeros((0, 0), dtype=np.float32)
        )
        return (
            empty,
            Ya[:0].copy(),
            np.zeros(0, dtype=np.float64),
        )

    if data_type == "image":
        with tempfile.TemporaryDirectory(prefix="labelmill-augment-") as tmp:
            paths = []
            for k, img in enumerate(new_payloads):
                path = Path(tmp) / f"{k:06d}.png"
                img.save(path, format="PNG")
                paths.append(str(path))
            X, ok_rows = _featurize(featurizer, paths)
    else:
        X, ok_rows = _featurize(featurizer, new_payloads)
    if X.ndim != 2 or X.shape[0] != len(new_payloads):
        raise InputError(
            f"The featurizer passed to {owner} returned shape {X.shape} for "
            f"{len(new_payloads)} payloads; expected one row per payload."
        )
    return (
        X[ok_rows],
        Ya[src_rows[ok_rows]].copy(),
        w[src_rows[ok_rows]] * float(weight_factor),
    )
