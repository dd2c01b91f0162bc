"""The applier: new labeled payloads from labeled payloads, reproducible under a seed
(private)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from copy import copy
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from labelmill.augment._base import TransformationFunction, TransformationFunctionError
from labelmill.exceptions import ConfigError, InputError
from labelmill.schema import DATA_TYPES
from labelmill.utils._validation import check_choice, check_positive

__all__ = ["AugmentResult", "augment", "default_functions"]

logger = logging.getLogger(__name__)


class AugmentResult(NamedTuple):
    """What :func:`augment` returns.

    Attributes
    ----------
    payloads : list
        The new payloads (``str``, PIL images or ``dict`` rows), in order of their source.
    labels : (n_new,) int array or (n_new, k) float array
        Each new payload's label: its source's row of ``labels``, copied.
    source : (n_new,) int array
        Position of each new payload's source item in the input.
    functions : list of tuple of str
        The names of the functions that made each new payload, in the order applied.
    counts : dict of str -> dict of str -> int
        Per function: ``applied`` (it returned a changed payload), ``skipped`` (it
        returned None or the payload unchanged) and ``failed`` (it raised, with
        ``fault_tolerant=True``).
    """

    payloads: list[Any]
    labels: NDArray[Any]
    source: NDArray[np.int64]
    functions: list[tuple[str, ...]]
    counts: dict[str, dict[str, int]]


def default_functions(data_type: str) -> list[TransformationFunction]:
    """The built-in transformation functions used when none are given.

    ============  =====================================================================
    ``text``      ``TokenDropout(0.1)``, ``SpanSwap(2)`` (``NeighbourReplacement`` is left
                  out: with co-occurrence neighbours it cost 6 points on TREC at 100
                  labels, see ``docs/augment.md``)
    ``image``     ``HorizontalFlip()``, ``RandomCrop(0.75)``, ``SmallRotation(10)``,
                  ``ColorJitter(0.2, 0.2, 0.2)``
    ``tabular``   ``ClassInterpolation(0.5)``, ``GaussianNoise(0.1)``
    ============  =====================================================================

    Raises
    ------
    ConfigError
        ``data_type`` is not one of "text", "image", "tabular".

    Examples
    --------
    >>> [tf.name for tf in default_functions("tabular")]
    ['class_interpolation', 'gaussian_noise']
    """
    from labelmill.augment._image import ColorJitter, HorizontalFlip, RandomCrop, SmallRotation
    from labelmill.augment._tabular import ClassInterpolation, GaussianNoise
    from labelmill.augment._text import SpanSwap, TokenDropout

    check_choice(data_type, "data_type", "default_functions", DATA_TYPES)
    if data_type == "text":
        return [TokenDropout(0.1), SpanSwap(2)]
    if data_type == "image":
        return [HorizontalFlip(), RandomCrop(0.75), SmallRotation(10.0), ColorJitter()]
    return [ClassInterpolation(0.5), GaussianNoise(0.1)]


def _as_functions(functions: Any, data_type: str, owner: str) -> list[TransformationFunction]:
    if functions is None:
        return default_functions(data_type)
    if isinstance(functions, TransformationFunction) or callable(functions):
        functions = [functions]
    try:
        items = list(functions)
    except TypeError:
        raise ConfigError(
            f"The 'functions' parameter of {owner} must be a list of transformation "
            f"functions. Got {type(functions).__name__} instead."
        ) from None
    if not items:
        raise ConfigError(
            f"The 'functions' parameter of {owner} must hold at least one transformation "
            "function (or be None for the built-ins)."
        )
    out: list[TransformationFunction] = []
    for j, f in enumerate(items):
        if isinstance(f, TransformationFunction):
            tf = f
        elif callable(f):
            tf = TransformationFunction(getattr(f, "__name__", None) or f"tf_{j}", f)
        else:
            raise ConfigError(
                f"Entry {j} of the 'functions' parameter of {owner} is not callable. "
                f"Got {f!r} instead."
            )
        if tf.data_type not in (None, data_type):
            raise ConfigError(
                f"Transformation function {tf.name!r} of {owner} transforms {tf.data_type} "
                f"items, but data_type is {data_type!r}."
            )
        out.append(tf)
    names = [tf.name for tf in out]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(
            f"The transformation functions passed to {owner} must have unique names. "
            f"Repeated: {', '.join(repeated)}."
        )
    return out


def _check_labels(labels: Any, n: int, owner: str) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """The labels as an array, and each item's hard class (argmax of a soft row)."""
    Y = np.asarray(labels)
    if Y.ndim not in (1, 2) or Y.shape[0] != n:
        raise InputError(
            f"{owner} needs one label per payload: an (n_items,) class index array or "
            f"(n_items, n_classes) rows. Got shape {Y.shape} for {n} payloads."
        )
    if Y.ndim == 1:
        if not np.issubdtype(Y.dtype, np.integer) or (Y < 0).any():
            raise InputError(
                f"{owner} takes class indices >= 0 as hard labels (items without a label "
                f"have nothing to keep: leave them out). Got {Y[:5].tolist()}... of dtype "
                f"{Y.dtype} instead."
            )
        return Y, Y.astype(np.int64)
    if not np.issubdtype(Y.dtype, np.number) or not np.isfinite(Y).all():
        raise InputError(f"{owner} takes label rows of finite numbers. Got dtype {Y.dtype}.")
    return Y, Y.argmax(axis=1).astype(np.int64)


def _prepare(x: Any, data_type: str) -> Any:
    """The payload as the functions receive it: their own copy, of a fixed kind."""
    if data_type == "text":
        if not isinstance(x, str):
            raise InputError(f"a text payload must be a str, got {type(x).__name__}")
        return x
    if data_type == "image":
        from labelmill.augment._image import load_image

        return load_image(x).copy()
    if isinstance(x, Mapping):
        return dict(x)
    to_dict = getattr(x, "to_dict", None)  # pandas.Series, labelmill.lf.Row
    if callable(to_dict):
        return dict(to_dict())
    raise InputError(f"a table payload must be a dict or a Series row, got {type(x).__name__}")


def _check_output(out: Any, data_type: str) -> str | None:
    """Why ``out`` is not a payload of ``data_type`` (None when it is)."""
    if data_type == "text":
        ok = isinstance(out, str)
        kind = "a str"
    elif data_type == "image":
        from PIL import Image

        ok = isinstance(out, Image.Image)
        kind = "a PIL image"
    else:
        ok = isinstance(out, Mapping)
        kind = "a dict"
    return None if ok else f"returned {type(out).__name__}; expected {kind} or None"


def _same(a: Any, b: Any, data_type: str) -> bool:
    if data_type == "image":
        return bool(a.size == b.size and a.mode == b.mode and a.tobytes() == b.tobytes())
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def augment(
    payloads: Sequence[Any],
    labels: Any,
    *,
    data_type: str,
    functions: Sequence[Any] | None = None,
    n_per_item: int = 1,
    sequence_length: int = 1,
    random_state: int = 0,
    corpus: Sequence[Any] | None = None,
    fault_tolerant: bool = False,
) -> AugmentResult:
    """Make ``n_per_item`` new labeled payloads from every labeled payload.

    For each item and each copy, ``sequence_length`` distinct functions are drawn at
    random and applied in turn, each with its own ``numpy`` Generator seeded from
    ``(random_state, item position, copy, step)``: the same call gives the same output,
    and an item's copies do not depend on the other items. A function that returns None
    or the payload unchanged is passed over; a copy that no function changed, or that
    equals an earlier copy of the same item, is dropped (so a deterministic function such
    as a flip gives at most one copy per item). Functions with a ``fit`` method (the
    built-in neighbour replacement and table functions) first learn from the items, or
    from ``corpus``.

    Parameters
    ----------
    payloads : sequence
        ``str`` (text), PIL images or image file paths (image), dicts, pandas Series or
        :class:`~labelmill.lf.Row` (tabular). Functions receive their own copy: a
        PIL image, or a ``dict``.
    labels : (n_items,) int array or (n_items, k) float array
        Hard class indices, or label rows (soft labels; functions that need the class
        get the row's argmax). Copied onto the new payloads.
    data_type : {"text", "image", "tabular"}
    functions : sequence of TransformationFunction or callables, optional
        Default: :func:`default_functions` for ``data_type``.
    n_per_item : int, default=1
        Copies attempted per item.
    sequence_length : int, default=1
        Functions applied in turn per copy (at most the number of functions).
    random_state : int, default=0
        Seed of every random choice.
    corpus : sequence, optional
        Unlabeled payloads of the same kind that functions' ``fit`` learns statistics
        from (word neighbours); default: ``payloads``. Table functions that need classes
        always learn from ``payloads``.
    fault_tolerant : bool, default=False
        False: a function that raises stops everything with a
        :class:`TransformationFunctionError` naming the function and the item. True:
        that copy is dropped and counted in ``counts[name]["failed"]``.

    Returns
    -------
    AugmentResult

    Raises
    ------
    ConfigError
        Unknown ``data_type``, a bad ``n_per_item``, ``sequence_length`` or
        ``random_state``, no functions, a function for another data type, repeated names.
    InputError
        ``labels`` do not match ``payloads``, or a payload is not of ``data_type``.
    TransformationFunctionError
        A function raised (``fault_tolerant=False``) or returned the wrong kind of value.

    Examples
    --------
    >>> from labelmill.augment import SpanSwap
    >>> out = augment(["a b c d", "e f g h"], [0, 1], data_type="text",
    ...               functions=[SpanSwap(1)], random_state=0)
    >>> out.payloads, out.labels.tolist()
    (['a c b d', 'e g f h'], [0, 1])
    """
    owner = "augment"
    check_choice(data_type, "data_type", owner, DATA_TYPES)
    n_per_item = check_positive(n_per_item, "n_per_item", owner, integer=True)
    sequence_length = check_positive(sequence_length, "sequence_length", owner, integer=True)
    if isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer)):
        raise ConfigError(
            f"The 'random_state' parameter of {owner} must be a non-negative int (augmentation "
            f"is always seeded). Got {random_state!r} instead."
        )
    if random_state < 0:
        raise ConfigError(
            f"The 'random_state' parameter of {owner} must be a non-negative int. "
            f"Got {random_state!r} instead."
        )
    if isinstance(payloads, (str, bytes, Mapping)):
        raise InputError(
            f"{owner} expects a sequence of payloads (one per item). Got a single "
            f"{type(payloads).__name__} instead; wrap it in a list."
        )
    items = list(payloads)
    Y, hard = _check_labels(labels, len(items), owner)
    tfs = _as_functions(functions, data_type, owner)
    if sequence_length > len(tfs):
        raise ConfigError(
            f"The 'sequence_length' parameter of {owner} must be at most the number of "
            f"functions ({len(tfs)}). Got {sequence_length} instead."
        )
    prepared = []
    for i, x in enumerate(items):
        try:
            prepared.append(_prepare(x, data_type))
        except InputError as exc:
            raise InputError(f"{owner}: payload at position {i}: {exc}") from exc
    if data_type == "tabular" or corpus is None:
        fit_on, fit_labels = prepared, hard
    else:
        fit_on, fit_labels = [_prepare(x, data_type) for x in corpus], None
    for tf in tfs:
        tf.fit(fit_on, fit_labels)

    counts = {tf.name: {"applied": 0, "skipped": 0, "failed": 0} for tf in tfs}
    out_payloads: list[Any] = []
    out_source: list[int] = []
    out_names: list[tuple[str, ...]] = []
    for i, x in enumerate(prepared):
        made: list[Any] = []
        for c in range(n_per_item):
            pick = np.random.default_rng([random_state, i, c]).permutation(len(tfs))
            current = x
            names: list[str] = []
            for step, j in enumerate(pick[:sequence_length]):
                tf = tfs[int(j)]
                rng = np.random.default_rng([random_state, i, c, step + 1])
                try:
                    new = tf(copy(current), rng=rng, label=int(hard[i]))
                except Exception as exc:
                    if not fault_tolerant:
                        raise TransformationFunctionError(
                            f"Transformation function {tf.name!r} raised "
                            f"{type(exc).__name__}: {exc} on the item at position {i} "
                            f"(copy {c}). Fix the function, or pass fault_tolerant=True to "
                            "drop such copies and count them."
                        ) from exc
                    counts[tf.name]["failed"] += 1
                    current = None
                    break
                if new is None or _same(new, current, data_type):
                    counts[tf.name]["skipped"] += 1
                    continue
                why = _check_output(new, data_type)
                if why is not None:
                    raise TransformationFunctionError(
                        f"Transformation function {tf.name!r} {why} on the item at position "
                        f"{i} (copy {c})."
                    )
                counts[tf.name]["applied"] += 1
                current = new
                names.append(tf.name)
            if current is None or not names:
                continue
            if any(_same(current, prev, data_type) for prev in made):
                continue  # the same as an earlier copy of this item
            made.append(current)
            out_payloads.append(current)
            out_source.append(i)
            out_names.append(tuple(names))
    source = np.asarray(out_source, dtype=np.int64)
    failed = {n: c["failed"] for n, c in counts.items() if c["failed"]}
    if failed:
        logger.warning("augment: transformation functions failed on some items: %s", failed)
    return AugmentResult(out_payloads, Y[source].copy(), source, out_names, counts)
