"""Labeling functions and preprocessors (Snorkel-compatible decorators)."""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from copy import copy
from typing import Any

from labelmill.exceptions import ConfigError

__all__ = [
    "ABSTAIN",
    "LabelingFunction",
    "Preprocessor",
    "Row",
    "labeling_function",
    "preprocessor",
    "short_hash",
]

ABSTAIN = -1


def short_hash(definition: Any) -> str:
    """A stable 12-hex-digit hash of a JSON-serializable definition."""
    text = json.dumps(definition, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _source_of(obj: Any) -> str:
    func = getattr(obj, "_f", None) or getattr(obj, "__wrapped__", None) or obj
    try:
        return inspect.getsource(func)
    except (OSError, TypeError):
        code = getattr(func, "__code__", None)
        if code is not None:
            return repr((code.co_code, code.co_consts, code.co_names))
        return repr(func)


class Row:
    """A row of a DataFrame with attribute access (``x.text``) and item access (``x["text"]``).

    This is what labeling functions receive; it behaves like the ``pandas.Series``
    that Snorkel's appliers pass, for the operations labeling functions use.

    Parameters
    ----------
    values : mapping of column name to value
    name : hashable, optional
        The row's index label (``x.name``, as for a ``pandas.Series``).
    """

    def __init__(self, values: Mapping[str, Any], name: Any = None) -> None:
        self.__dict__.update(values)
        self.__dict__.setdefault("name", name)

    def __getitem__(self, key: str) -> Any:
        try:
            return self.__dict__[key]
        except KeyError:
            raise KeyError(key) from None

    def __setitem__(self, key: str, value: Any) -> None:
        self.__dict__[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self.__dict__

    def get(self, key: str, default: Any = None) -> Any:
        """Value of column ``key``, or ``default``."""
        return self.__dict__.get(key, default)

    def keys(self) -> list[str]:
        """Column names."""
        return list(self.__dict__)

    def __repr__(self) -> str:
        return f"Row({self.__dict__!r})"


class Preprocessor:
    """A function ``x -> x`` run on every row before a labeling function sees it.

    Parameters
    ----------
    f : callable
        Takes a row and returns the (possibly changed) row. It may change the row in
        place: every preprocessor receives its own shallow copy.
    name : str, optional
        Defaults to ``f.__name__``.
    """

    def __init__(self, f: Callable[[Any], Any], name: str | None = None) -> None:
        if not callable(f):
            raise ConfigError(f"A preprocessor must wrap a callable. Got {f!r} instead.")
        self._f = f
        self.name = name or getattr(f, "__name__", "preprocessor")

    def __call__(self, x: Any) -> Any:
        out = self._f(copy(x))
        return out

    def __repr__(self) -> str:
        return f"Preprocessor({self.name!r})"


def preprocessor(f: Callable[[Any], Any] | None = None, *, name: str | None = None) -> Any:
    """Decorator turning ``f(x) -> x`` into a :class:`Preprocessor`.

    Usable bare (``@preprocessor``) or with arguments (``@preprocessor(name="lower")``).

    Examples
    --------
    >>> @preprocessor
    ... def lower(x):
    ...     x.text = x.text.lower()
    ...     return x
    >>> lower(Row({"text": "HI"})).text
    'hi'
    """
    if f is not None:
        return Preprocessor(f, name=name)

    def decorate(func: Callable[[Any], Any]) -> Preprocessor:
        return Preprocessor(func, name=name)

    return decorate


class LabelingFunction:
    """A Python labeling function: ``f(x, **resources) -> class index or -1``.

    Parameters
    ----------
    name : str
    f : callable
    resources : mapping, optional
        Extra keyword arguments passed to ``f`` on every call.
    pre : sequence of callables, optional
        Preprocessors applied in order to the row before ``f`` sees it.

    Attributes
    ----------
    name : str
    version : str
        12 hex digits hashing the function's source code, its preprocessors' source and
        its resource names: editing the function makes a new version.
    definition : dict
        JSON-serializable description (kind, name, source, preprocessors, resources).
    """

    kind = "python"

    def __init__(
        self,
        name: str,
        f: Callable[..., int],
        resources: Mapping[str, Any] | None = None,
        pre: Sequence[Callable[[Any], Any]] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ConfigError(
                f"A labeling function needs a non-empty string name. Got {name!r} instead."
            )
        if not callable(f):
            raise ConfigError(f"LabelingFunction {name!r} must wrap a callable. Got {f!r} instead.")
        self.name = name
        self._f = f
        self._resources = dict(resources or {})
        self._pre = list(pre or [])
        for p in self._pre:
            if not callable(p):
                raise ConfigError(
                    f"Every 'pre' entry of labeling function {name!r} must be callable "
                    f"(a preprocessor). Got {p!r} instead."
                )
        self.definition: dict[str, Any] = {
            "kind": "python",
            "name": name,
            "source": _source_of(f),
            "pre": [
                {"name": getattr(p, "name", type(p).__name__), "source": _source_of(p)}
                for p in self._pre
            ],
            "resources": sorted(self._resources),
        }
        self.version = short_hash(self.definition)

    def __call__(self, x: Any) -> int:
        for p in self._pre:
            x = p(x)
            if x is None:
                raise ValueError(f"preprocessor {getattr(p, 'name', p)!r} returned None")
        return self._f(x, **self._resources)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, version={self.version!r})"


def labeling_function(
    name: str | None = None,
    resources: Mapping[str, Any] | None = None,
    pre: Sequence[Callable[[Any], Any]] | None = None,
) -> Callable[[Callable[..., int]], LabelingFunction]:
    """Decorator making a :class:`LabelingFunction`, with Snorkel's signature.

    Parameters
    ----------
    name : str, optional
        Defaults to the function's name.
    resources : mapping, optional
        Keyword arguments passed to the function on every call.
    pre : sequence of callables, optional
        Preprocessors run on the row first.

    Returns
    -------
    decorator

    Raises
    ------
    ConfigError
        If used bare (``@labeling_function`` without parentheses) with a non-callable.

    Examples
    --------
    >>> @labeling_function()
    ... def has_link(x):
    ...     return 1 if "http" in x.text else -1
    >>> has_link(Row({"text": "see http://a.b"}))
    1
    >>> has_link.name
    'has_link'
    """
    if callable(name) and not isinstance(name, str):
        # Used bare: @labeling_function. Snorkel rejects this; we accept it.
        func = name
        return LabelingFunction(func.__name__, func)
    if name is not None and not isinstance(name, str):
        raise ConfigError(
            f"The 'name' argument of labeling_function must be a string or None. "
            f"Got {name!r} instead."
        )

    def decorate(f: Callable[..., int]) -> LabelingFunction:
        return LabelingFunction(name or f.__name__, f, resources=resources, pre=pre)

    return decorate
