"""Zero-shot votes at cold start: items scored against their class names (private).

Before anyone has labeled anything, the class names (and the descriptions people read on
the labeling card) already say something about the items. Each class becomes one short
text (:func:`class_prompts`), embedded with the same sentence encoder as the items
(:func:`embed_class_prompts`); an item votes for the class whose text is most similar to
it (cosine), and abstains unless that class beats the runner-up by ``margin``
(:func:`zero_shot_votes`). The votes are one more source column of the vote matrix, so
the label model weighs them like any rule.

Everything here takes arrays and a featurizer, never the store. The default margin was
chosen by measurement on AG News, TREC and YouTube spam (docs/bench/features.md,
"Zero-shot votes").
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from numpy.typing import NDArray

from labelmill.exceptions import ConfigError, InputError

__all__ = [
    "DEFAULT_ZERO_SHOT_MARGIN",
    "class_prompts",
    "embed_class_prompts",
    "zero_shot_scores",
    "zero_shot_votes",
]

DEFAULT_ZERO_SHOT_MARGIN = 0.1
_ABSTAIN = -1


def class_prompts(schema: Any) -> list[str]:
    """One short text per class, in class order: its name, and its description if any.

    Parameters
    ----------
    schema : Schema
        The project's schema; ``schema.classes`` gives the names and
        ``schema.class_info[name].description`` the optional descriptions.

    Returns
    -------
    list of str
        ``"<name>: <description>"`` for a class with a description, ``"<name>"``
        otherwise.

    Raises
    ------
    ConfigError
        If ``schema`` has no ``classes``.

    Examples
    --------
    >>> from labelmill.schema import Schema
    >>> class_prompts(Schema(classes=("spam", "ham"),
    ...                      class_info={"spam": {"description": "ads and scams"}}))
    ['spam: ads and scams', 'ham']
    """
    classes = getattr(schema, "classes", None)
    if classes is None or isinstance(classes, str) or not len(classes):
        raise ConfigError(
            "class_prompts expects a Schema with at least one class (schema.classes). "
            f"Got {type(schema).__name__} instead; pass project.schema."
        )
    info = getattr(schema, "class_info", None) or {}
    prompts = []
    for name in classes:
        entry = info.get(name)
        description = str(getattr(entry, "description", "") or "").strip()
        prompts.append(f"{name}: {description}" if description else str(name))
    return prompts


def embed_class_prompts(prompts: list[str], featurizer: Any) -> NDArray[np.float32]:
    """Embed the class texts with the featurizer that embeds the items.

    Parameters
    ----------
    prompts : list of str
        One text per class (see :func:`class_prompts`).
    featurizer : Featurizer
        A text featurizer, the one whose vectors the items have (for example
        ``TextFeaturizer()``); it must be fitted already if it needs a fit.

    Returns
    -------
    class_vectors : (n_classes, d) float32 array

    Raises
    ------
    ConfigError
        If ``prompts`` is empty, or ``featurizer`` has no ``transform``.
    InputError
        If a prompt is not a non-empty text.

    Examples
    --------
    >>> from labelmill.features import HashingTextFeaturizer
    >>> embed_class_prompts(["sports", "politics"], HashingTextFeaturizer(n_features=8)).shape
    (2, 8)
    """
    if isinstance(prompts, str) or not isinstance(prompts, (list, tuple)) or not prompts:
        raise ConfigError(
            "embed_class_prompts expects a non-empty list of class texts, one per class. "
            f"Got {prompts!r} instead; build it with class_prompts(schema)."
        )
    for i, text in enumerate(prompts):
        if not isinstance(text, str) or not text.strip():
            raise InputError(
                f"embed_class_prompts: class text {i} must be a non-empty str. Got {text!r} "
                "instead; give every class a name."
            )
    transform = getattr(featurizer, "transform", None)
    if not callable(transform):
        raise ConfigError(
            "The 'featurizer' of embed_class_prompts must have a transform(texts) method "
            f"(a text Featurizer). Got {type(featurizer).__name__} instead."
        )
    return np.asarray(transform(list(prompts)), dtype=np.float32)


def _check_matrix(X: Any, name: str) -> NDArray[np.float64]:
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"The '{name}' argument of zero_shot_votes must be a 2-d float array. Got an "
            f"array of {type(X).__name__} that is not numeric: {exc}."
        ) from exc
    if arr.ndim != 2:
        raise InputError(
            f"The '{name}' argument of zero_shot_votes must be a 2-d array (rows, dims). "
            f"Got shape {arr.shape} instead."
        )
    if not np.isfinite(arr).all():
        raise InputError(
            f"The '{name}' argument of zero_shot_votes contains NaN or infinity; drop or "
            "re-featurize those rows."
        )
    return arr


def _unit_rows(arr: NDArray[np.float64]) -> NDArray[np.float64]:
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    return np.divide(arr, norms, out=np.zeros_like(arr), where=norms > 0)


def zero_shot_scores(
    X_items: Any, class_vectors: Any, *, center: bool = False
) -> NDArray[np.float64]:
    """Cosine similarity of every item to every class text.

    Parameters
    ----------
    X_items : (n_items, d) float array
        Item embeddings (rows of zeros, such as items that could not be featurized,
        score 0 everywhere).
    class_vectors : (n_classes, d) float array
        Class text embeddings from the same featurizer (:func:`embed_class_prompts`).
    center : bool, default False
        Subtract from each class's column its mean over the items given (rows of zeros
        left out), so that a class text that is close to every item does not win every
        item. The scores then depend on which items are passed together.

    Returns
    -------
    scores : (n_items, n_classes) float array
        In [-1, 1] (in [-2, 2] when centered); rows of zero vectors are 0.

    Raises
    ------
    InputError
        If an argument is not a finite 2-d numeric array, there are fewer than two
        classes, a class vector is zero, or the dimensions differ.

    Examples
    --------
    >>> zero_shot_scores([[1.0, 0.0]], [[2.0, 0.0], [0.0, 1.0]])
    array([[1., 0.]])
    """
    X = _check_matrix(X_items, "X_items")
    C = _check_matrix(class_vectors, "class_vectors")
    if C.shape[0] < 2:
        raise InputError(
            "zero_shot_votes needs the vectors of at least 2 classes to compare. Got "
            f"{C.shape[0]}; embed every class of the schema."
        )
    if X.shape[1] != C.shape[1]:
        raise InputError(
            f"X_items has {X.shape[1]} dimensions but class_vectors has {C.shape[1]}; embed "
            "the class texts with the featurizer that embedded the items."
        )
    zero = np.flatnonzero(~np.linalg.norm(C, axis=1).astype(bool))
    if zero.size:
        raise InputError(
            f"class_vectors row(s) {zero.tolist()} are all zeros, so no item can be compared "
            "with them; give those classes a name or description the featurizer can embed."
        )
    scores = np.asarray(_unit_rows(X) @ _unit_rows(C).T)
    if center:
        has_vector = np.linalg.norm(X, axis=1) > 0
        if has_vector.any():
            scores[has_vector] -= scores[has_vector].mean(axis=0)
    return scores


def zero_shot_votes(
    X_items: Any,
    class_vectors: Any,
    *,
    margin: float = DEFAULT_ZERO_SHOT_MARGIN,
    center: bool = False,
) -> NDArray[np.int64]:
    """Vote for the most similar class where it beats the runner-up by ``margin``.

    Parameters
    ----------
    X_items : (n_items, d) float array
        Item embeddings.
    class_vectors : (n_classes, d) float array
        Class text embeddings from the same featurizer (:func:`embed_class_prompts`).
    margin : float, default DEFAULT_ZERO_SHOT_MARGIN
        Smallest gap between the best and the second-best cosine similarity for a vote,
        in [0, 2). Larger: fewer and more precise votes.
    center : bool, default False
        Compare items on centered scores (see :func:`zero_shot_scores`).

    Returns
    -------
    votes : (n_items,) int array
        Class index in ``0..n_classes-1``, or -1 (abstain). Items whose vector is all
        zeros always abstain. Indices are class positions, not multi-label bit masks.

    Raises
    ------
    ConfigError
        If ``margin`` is not a number in [0, 2).
    InputError
        See :func:`zero_shot_scores`.

    Examples
    --------
    >>> zero_shot_votes([[1.0, 0.1], [1.0, 0.98], [0.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]],
    ...                 margin=0.1)
    array([ 0, -1, -1])
    """
    is_number = isinstance(margin, numbers.Real) and not isinstance(margin, bool)
    if not is_number or not 0.0 <= float(margin) < 2.0:
        raise ConfigError(
            f"The 'margin' parameter of zero_shot_votes must be a number in [0, 2). Got "
            f"{margin!r} instead; {DEFAULT_ZERO_SHOT_MARGIN} is the measured default."
        )
    scores = zero_shot_scores(X_items, class_vectors, center=center)
    votes = np.full(scores.shape[0], _ABSTAIN, dtype=np.int64)
    if scores.shape[0] == 0:
        return votes
    top2 = np.sort(scores, axis=1)[:, -2:]
    gap = top2[:, 1] - top2[:, 0]
    has_vector = np.linalg.norm(np.asarray(X_items, dtype=np.float64), axis=1) > 0
    vote = has_vector & (gap >= float(margin)) & (gap > 0)
    votes[vote] = np.argmax(scores[vote], axis=1)
    return votes
