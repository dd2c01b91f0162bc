"""``aggregate``: one label per item from many workers' answers."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from labelmill.crowd._answers import encode_answers
from labelmill.exceptions import ConfigError

__all__ = ["METHODS", "aggregate", "make_aggregator"]

METHODS = ("auto", "majority", "wawa", "one_coin", "dawid_skene", "glad", "mace")


def make_aggregator(method: Any, k: int, *, random_state: Any = None) -> Any:
    """The label model behind an aggregation method name.

    Parameters
    ----------
    method : str or label model
        One of ``METHODS``, or an unfitted labelmill label model (cloned; its
        ``cardinality`` is set to ``k``).
    k : int
        Number of classes.
    random_state : int, Generator or None
        Passed to the models that draw random numbers.

    Returns
    -------
    an unfitted label model

    Raises
    ------
    ConfigError
        Unknown method name or object.

    Examples
    --------
    >>> make_aggregator("dawid_skene", 3)
    DawidSkene(abstain='ignore', cardinality=3, smoothing=0.5)
    """
    from labelmill import labelmodel as lm

    if not isinstance(method, str):
        if not (hasattr(method, "fit") and hasattr(method, "predict_proba")):
            raise ConfigError(
                "The 'method' parameter of aggregate must be one of "
                f"{', '.join(repr(m) for m in METHODS)} or a label model instance. "
                f"Got {method!r} instead."
            )
        est = clone(method)
        if "cardinality" in est.get_params():
            est.set_params(cardinality=k)
        return est
    makers = {
        "auto": lambda: lm.LabelModel(cardinality=k, abstain="ignore", random_state=random_state),
        "majority": lambda: lm.MajorityVote(cardinality=k, random_state=random_state),
        "wawa": lambda: lm.Wawa(cardinality=k),
        "one_coin": lambda: lm.OneCoinDawidSkene(cardinality=k),
        "dawid_skene": lambda: lm.DawidSkene(cardinality=k, abstain="ignore", smoothing=0.5),
        "glad": lambda: lm.GLAD(cardinality=k),
        "mace": lambda: lm.MACE(cardinality=k, random_state=random_state),
    }
    if method not in makers:
        raise ConfigError(
            "The 'method' parameter of aggregate must be one of "
            f"{', '.join(repr(m) for m in METHODS)} or a label model instance. "
            f"Got {method!r} instead."
        )
    return makers[method]()


def aggregate(
    answers: Any,
    *,
    method: Any = "auto",
    classes: Sequence[Hashable] | None = None,
    duplicates: str = "merge",
    random_state: Any = None,
) -> pd.DataFrame:
    """One label per item, with its confidence and the posterior of every class.

    Workers are sources: the answers become a sparse vote matrix (items x workers) and a
    label model estimates how reliable each worker is and combines the answers.

    Parameters
    ----------
    answers : pandas.DataFrame with columns ``item``, ``worker``, ``label``
        One row per answer; ids and labels may be any hashable values (other columns
        are ignored). An iterable of ``(item, worker, label)`` tuples works too.
    method : str or label model, default="auto"
        ``"auto"``: labelmill's :class:`~labelmill.labelmodel.LabelModel` (Dawid-Skene
        confusion matrices with Jeffreys priors, class balance estimated, abstains
        ignored since workers answer what they are assigned). ``"majority"``, ``"wawa"``,
        ``"one_coin"`` (one-coin Dawid-Skene), ``"dawid_skene"``, ``"glad"``, ``"mace"``;
        or any labelmill label model instance (cloned).
    classes : sequence or None, default=None
        Every class label, in order; an answer outside it is an error. ``None`` uses the
        labels that occur (sorted); it must then hold at least two.
    duplicates : {"merge", "last", "first", "all"}, default="merge"
        A worker's repeated answers on one item (see
        :func:`labelmill.crowd.encode_answers`): by default identical repeats count once
        and conflicting ones share a single vote.
    random_state : int, Generator or None, default=None

    Returns
    -------
    pandas.DataFrame, one row per item in order of first appearance, columns ``item``,
    ``label`` (the most probable class; ties go to the class with the larger estimated
    balance), ``confidence`` (its posterior), ``n_answers`` (answers kept for the item),
    then ``proba_<class>`` for every class. ``attrs`` holds ``method`` and ``classes``.

    Raises
    ------
    InputError
        Empty answers, missing columns, a missing (NaN) item, worker or label, a label
        outside ``classes``, or a single label with ``classes`` not given.
    ConfigError
        Unknown ``method`` or ``duplicates``.

    Notes
    -----
    With a single worker every method returns that worker's answers with confidence 1
    (majority vote is used whatever ``method`` says: nothing can be learned about one
    source from itself).

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({
    ...     "item":   ["q1", "q1", "q1", "q2", "q2", "q2", "q3", "q3"],
    ...     "worker": ["ann", "bob", "cy", "ann", "bob", "cy", "ann", "cy"],
    ...     "label":  ["yes", "yes", "no", "no", "no", "no", "yes", "yes"]})
    >>> out = aggregate(answers)
    >>> out[["item", "label", "n_answers"]]
      item label  n_answers
    0   q1   yes          3
    1   q2    no          3
    2   q3   yes          2
    >>> sorted(out.columns)
    ['confidence', 'item', 'label', 'n_answers', 'proba_no', 'proba_yes']
    """
    enc = encode_answers(answers, classes=classes, duplicates=duplicates, owner="aggregate")
    k = len(enc.classes)
    model = make_aggregator(method, k, random_state=random_state)
    if len(enc.workers) == 1:  # nothing to learn about one worker from itself
        model = make_aggregator("majority", k, random_state=random_state)
    model.fit(enc.votes)
    proba = np.asarray(model.predict_proba(enc.votes), dtype=np.float64)
    labels = model.predict(enc.votes)
    n_answers = np.bincount(enc.codes["item"].to_numpy(), minlength=len(enc.items))
    names = np.empty(k, dtype=object)
    for c, name in enumerate(enc.classes):  # element-wise: classes may be tuples
        names[c] = name
    out = pd.DataFrame(
        {
            "item": enc.items,
            "label": names[labels],
            "confidence": proba[np.arange(len(labels)), labels],
            "n_answers": n_answers,
        }
    )
    for c, name in enumerate(enc.classes):
        out[f"proba_{name}"] = proba[:, c]
    out.attrs["method"] = method if isinstance(method, str) else type(method).__name__
    out.attrs["classes"] = list(enc.classes)
    return out
