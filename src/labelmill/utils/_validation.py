"""Parameter checks shared by every package (the analogue of scikit-learn's
``utils/validation.py``).

Each check names the parameter, its owner, what was expected and what came, and raises
:class:`~labelmill.exceptions.ConfigError` (a bad parameter) or
:class:`~labelmill.exceptions.NotFittedError`. Checks of data of one domain (a vote
matrix, a probability matrix of a query) stay in their package.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from labelmill.exceptions import ConfigError, NotFittedError

__all__ = [
    "check_choice",
    "check_fitted",
    "check_fraction",
    "check_positive",
    "check_random_state",
    "check_unit_interval",
]


def check_random_state(random_state: Any, *, owner: str) -> np.random.Generator:
    """Turn ``random_state`` into a numpy ``Generator``.

    Parameters
    ----------
    random_state : None, int >= 0, numpy Generator, RandomState or SeedSequence
        ``None`` draws fresh entropy; an int seeds a new Generator; a Generator is used as
        it is (shared state, as scikit-learn does with a RandomState).
    owner : str
        Who asks, for the error message.

    Examples
    --------
    >>> check_random_state(0, owner="demo").integers(10)
    np.int64(8)
    """
    if random_state is None or isinstance(random_state, np.random.SeedSequence):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(int(random_state.randint(0, 2**31 - 1)))
    is_int = isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool)
    if is_int and int(random_state) >= 0:
        return np.random.default_rng(int(random_state))
    raise ConfigError(
        f"The 'random_state' parameter of {owner} must be None, a non-negative int, a numpy "
        f"Generator or a RandomState. Got {random_state!r} instead."
    )


def check_positive(
    value: Any, name: str, owner: str, *, integer: bool = False, allow_none: bool = False
) -> Any:
    """Return ``value`` (an int when ``integer``) unless it is not a positive number.

    Examples
    --------
    >>> check_positive(3, "batch_size", "query", integer=True)
    3
    """
    if value is None and allow_none:
        return None
    kinds = (numbers.Integral,) if integer else (numbers.Real,)
    if not isinstance(value, kinds) or isinstance(value, bool) or not float(value) > 0:
        what = "a positive int" if integer else "a positive number"
        if allow_none:
            what += " or None"
        raise ConfigError(
            f"The '{name}' parameter of {owner} must be {what}. Got {value!r} instead."
        )
    return int(value) if integer else value  # type: ignore[call-overload]


def check_fraction(
    value: Any,
    name: str,
    owner: str,
    *,
    low: float = 0.0,
    high: float = 1.0,
    closed_high: bool = True,
    allow_none: bool = False,
) -> float | None:
    """Return ``value`` as a float in ``(low, high]`` (``(low, high)`` unless ``closed_high``).

    Examples
    --------
    >>> check_fraction(0.3, "audit_fraction", "Project")
    0.3
    """
    if value is None and allow_none:
        return None
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok:
        v = float(value)
        ok = low < v <= high if closed_high else low < v < high
    if not ok:
        bracket = "]" if closed_high else ")"
        raise ConfigError(
            f"The '{name}' parameter of {owner} must be a float in ({low:g}, {high:g}{bracket}. "
            f"Got {value!r} instead."
        )
    return float(value)


def check_unit_interval(value: Any, name: str, owner: str) -> float:
    """Return ``value`` as a float in the open interval (0, 1).

    Examples
    --------
    >>> check_unit_interval(0.95, "target_accuracy", "ThresholdPolicy")
    0.95
    """
    out = check_fraction(value, name, owner, closed_high=False)
    assert out is not None
    return out


def check_choice(value: Any, name: str, owner: str, choices: Iterable[Any]) -> Any:
    """Return ``value`` unless it is not one of ``choices``.

    Examples
    --------
    >>> check_choice("fail", "on_error", "import_items", ("fail", "skip"))
    'fail'
    """
    options = tuple(choices)
    if value not in options:
        listed = ", ".join(repr(c) for c in options)
        raise ConfigError(
            f"The '{name}' parameter of {owner} must be one of {listed}. Got {value!r} instead."
        )
    return value


def check_fitted(estimator: Any, attribute: str, method: str) -> None:
    """Raise :class:`NotFittedError` unless ``estimator`` has ``attribute`` (set by ``fit``)."""
    if not hasattr(estimator, attribute):
        name = type(estimator).__name__
        raise NotFittedError(
            f"This {name} instance is not fitted yet. Call 'fit' with appropriate arguments "
            f"before using '{method}'."
        )
