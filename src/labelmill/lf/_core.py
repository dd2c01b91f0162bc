"""Labeling functions and preprocessors (Snorkel-compatible decorators)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from copy import copy, deepcopy
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from labelmill.exceptions import ConfigError, InputError
from labelmill.utils._definitions import short_hash
from labelmill.utils._definitions import source_of as _source_of

__all__ = [
    "ABSTAIN",
    "BasePreprocessor",
    "LabelingFunction",
    "LambdaPreprocessor",
    "Preprocessor",
    "Row",
    "labeling_function",
    "memoize_key",
    "preprocessor",
    "short_hash",
]

ABSTAIN = -1


def _hashable(value: Any) -> Hashable:
    """A hashable stand-in for ``value`` (rows, dicts, lists, arrays; NaN equals NaN)."""
    if isinstance(value, float) and value != value:
        return _NAN
    try:
        hash(value)
    except TypeError:
        pass
    else:
        return value
    if isinstance(value, Row):
        return value._key()
    if isinstance(value, Mapping):
        return frozenset((k, _hashable(v)) for k, v in value.items())
    if isinstance(value, SimpleNamespace):
        return frozenset((k, _hashable(v)) for k, v in vars(value).items())
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(_hashable(v) for v in value)
    if isinstance(value, np.ndarray):
        return (value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, pd.Series):
        return ("series", value.name, frozenset((k, _hashable(v)) for k, v in value.items()))
    raise InputError(
        f"Cannot memoize on a value of type {type(value).__name__}: it is not hashable and "
        "has no hashable stand-in. Pass memoize_key=... to the preprocessor."
    )


_NAN = ("labelmill-nan",)


def memoize_key(x: Any) -> Hashable:
    """Default cache key of memoized preprocessors: the row's values and its index label.

    Rows with equal values and the same index label share a cache entry (Snorkel's key
    ignores the index label; keeping it means ``x.name`` is always the row's own). Works
    for :class:`Row`, ``pandas.Series``, dicts, ``SimpleNamespace`` and hashable objects;
    NaN counts as equal to NaN.

    Examples
    --------
    >>> memoize_key(Row({"text": "hi"}, name=3)) == memoize_key(Row({"text": "hi"}, name=3))
    True
    """
    return _hashable(x)


class _SeriesAttribute:
    """``x.<attr>`` on a :class:`Row` for an attribute of ``pandas.Series``.

    pandas resolves ``series.count`` or ``series.name`` to the Series' own method or
    property before any column of that name; a Row does the same, building the Series
    only when such an attribute is used.
    """

    __slots__ = ("attr",)

    def __init__(self, attr: str) -> None:
        self.attr = attr

    def __get__(self, row: Any, owner: Any = None) -> Any:
        if row is None:
            return self
        return getattr(row.to_series(), self.attr)

    def __set__(self, row: Any, value: Any) -> None:
        raise AttributeError(
            f"x.{self.attr} is an attribute of pandas.Series (as on the Series that Snorkel "
            f"passes), not a column; set the column with x[{self.attr!r}] = value."
        )


class Row:
    """One row of a DataFrame, as labeling functions and preprocessors receive it.

    It behaves like the ``pandas.Series`` that Snorkel's ``PandasLFApplier`` passes:
    ``x.text`` and ``x["text"]`` read a column; ``x.name`` is the row's index label;
    every other attribute of ``pandas.Series`` (``x.isnull()``, ``x.to_dict()``,
    ``x.index``, ``x.count()``, ...) is the Series' own, computed on a real Series built
    only when such an attribute is used, so the common ``x.text`` costs a dict lookup.
    As on a Series, an attribute name that pandas uses reads pandas' attribute: reach a
    column called ``name`` or ``count`` as ``x["name"]``. Iteration yields the values.

    Unlike a Series, a row is hashable and compares by value (its values and index
    label), so that memoized preprocessors, Snorkel's included, recognise a row they have
    already seen; ``x.copy()`` returns a Row.

    Parameters
    ----------
    values : mapping of column name to value
    name : hashable, optional
        The row's index label (``x.name``, as for a ``pandas.Series``).

    Examples
    --------
    >>> x = Row({"text": "Hi", "name": "ann", "n": None}, name=7)
    >>> x.text, x["name"], x.name, x.isnull().sum(), x.to_dict()["n"] is None
    ('Hi', 'ann', 7, np.int64(1), True)
    """

    __slots__ = ("__dict__", "_lm_name")

    def __init__(self, values: Mapping[str, Any], name: Any = None) -> None:
        self.__dict__.update(values)
        self._lm_name = name

    # fast construction used by the appliers: take ownership of ``values``
    @classmethod
    def _adopt(cls, values: dict[str, Any], name: Any) -> Row:
        row = cls.__new__(cls)
        row.__dict__ = values
        row._lm_name = name
        return row

    @property
    def name(self) -> Any:
        """The row's index label (as ``pandas.Series.name``)."""
        return self._lm_name

    @name.setter
    def name(self, value: Any) -> None:
        self._lm_name = value

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        raise AttributeError(f"The row has no column {key!r}. Columns: {list(self.__dict__)[:20]}.")

    def __getitem__(self, key: Any) -> Any:
        try:
            return self.__dict__[key]
        except KeyError:
            raise KeyError(key) from None
        except TypeError:  # unhashable key: a list of columns, a mask, a slice
            return self.to_series()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.__dict__[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self.__dict__

    def __len__(self) -> int:
        return len(self.__dict__)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.__dict__.values())

    def get(self, key: str, default: Any = None) -> Any:
        """Value of column ``key``, or ``default`` (as ``pandas.Series.get``)."""
        return self.__dict__.get(key, default)

    def to_dict(self) -> dict[str, Any]:
        """The columns and values as a new dict (as ``pandas.Series.to_dict``)."""
        return dict(self.__dict__)

    def copy(self, deep: bool = True) -> Row:
        """A copy whose columns can be changed without touching this row."""
        return Row._adopt(dict(self.__dict__), self._lm_name)

    def to_series(self) -> pd.Series:
        """This row as a new ``pandas.Series`` (index: the columns; name: the index label)."""
        return pd.Series(
            list(self.__dict__.values()), index=list(self.__dict__), name=self._lm_name
        )

    def _key(self) -> Hashable:
        return (self._lm_name, frozenset((k, _hashable(v)) for k, v in self.__dict__.items()))

    def __hash__(self) -> int:
        return hash(self._key())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Row):
            return NotImplemented
        return self._key() == other._key()

    def __copy__(self) -> Row:
        return self.copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> Row:
        return Row._adopt(deepcopy(self.__dict__, memo), deepcopy(self._lm_name, memo))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Row, (dict(self.__dict__), self._lm_name))

    def __repr__(self) -> str:
        return f"Row({self.__dict__!r}, name={self._lm_name!r})"


_NATIVE = {"name", "get", "to_dict", "copy"}
for _attr in dir(pd.Series):
    if not _attr.startswith("_") and _attr not in _NATIVE and not hasattr(Row, _attr):
        setattr(Row, _attr, _SeriesAttribute(_attr))
del _attr


class Preprocessor:
    """A function ``x -> x`` run on every row before a labeling function sees it.

    Two ways to write one, as in Snorkel: wrap a function (``Preprocessor(f)``, or the
    :func:`preprocessor` decorator), or subclass and implement ``run(self, field, ...)``,
    which receives the row's fields named by ``field_names`` and returns a dict of new
    fields that are set on the row (renamed through ``mapped_field_names``).

    Parameters
    ----------
    f : callable or str, optional
        Takes a row and returns the (possibly changed) row, or None to drop it (an error
        in labeling functions). It may change the row in place: it receives its own
        shallow copy. A string is taken as ``name`` (Snorkel's ``Preprocessor(name,
        ...)`` form, for subclasses that implement ``run``).
    field_names : mapping of str to str, optional
        Subclasses: ``run``'s argument -> the row's field. Default: ``run``'s own
        argument names.
    mapped_field_names : mapping of str to str, optional
        Subclasses: key of ``run``'s output -> the field set on the row. Default: the
        keys as they are.
    pre : sequence of callables, optional
        Preprocessors run first, in order.
    memoize : bool, default=False
        Keep each output, keyed by ``memoize_key(x)``: a row seen before (by value and
        index label), for instance by the next labeling function using this
        preprocessor, is not computed again. The cache lives on the preprocessor;
        ``reset_cache()`` empties it.
    memoize_key : callable, optional
        ``x -> hashable`` cache key; default :func:`memoize_key`.
    name : str, optional
        Defaults to ``f.__name__``, or the class name.

    Raises
    ------
    ConfigError
        ``f`` is not callable and the class has no ``run``; a ``pre`` entry or
        ``memoize_key`` is not callable.
    """

    def __init__(
        self,
        f: Callable[[Any], Any] | str | None = None,
        field_names: Mapping[str, str] | None = None,
        mapped_field_names: Mapping[str, str] | None = None,
        pre: Sequence[Callable[[Any], Any]] | None = None,
        memoize: bool = False,
        memoize_key: Callable[[Any], Hashable] | None = None,
        *,
        name: str | None = None,
    ) -> None:
        if isinstance(f, str):
            name, f = f if name is None else name, None
        has_run = type(self).run is not Preprocessor.run
        if f is None and not has_run:
            raise ConfigError(
                f"A preprocessor must wrap a callable (or subclass Preprocessor and implement "
                f"run). Got {f!r} instead."
            )
        if f is not None and not callable(f):
            raise ConfigError(f"A preprocessor must wrap a callable. Got {f!r} instead.")
        self._f = f
        self.name = name or getattr(f, "__name__", None) or type(self).__name__
        self._pre = list(pre or [])
        for p in self._pre:
            if not callable(p):
                raise ConfigError(
                    f"Every 'pre' entry of preprocessor {self.name!r} must be callable (a "
                    f"preprocessor). Got {p!r} instead."
                )
        if memoize_key is not None and not callable(memoize_key):
            raise ConfigError(
                f"The 'memoize_key' argument of preprocessor {self.name!r} must be a callable "
                f"x -> hashable. Got {memoize_key!r} instead."
            )
        if f is None:
            if field_names is None:
                params = list(inspect.signature(self.run).parameters)
                field_names = {p: p for p in params}
            self.field_names = dict(field_names)
            self.mapped_field_names = (
                None if mapped_field_names is None else dict(mapped_field_names)
            )
        self.memoize = bool(memoize)
        self._memoize_key = memoize_key or _default_key
        self.reset_cache()

    def run(self, **fields: Any) -> Mapping[str, Any] | None:
        """Subclasses: new fields from the row's ``fields`` (see ``field_names``)."""
        raise NotImplementedError  # pragma: no cover - only reached without f or a subclass

    def reset_cache(self) -> None:
        """Forget every memoized output."""
        self._cache: dict[Hashable, Any] = {}

    def __call__(self, x: Any) -> Any:
        if self.memoize:
            key = self._memoize_key(x)
            try:
                return self._cache[key]
            except KeyError:
                pass
        out = copy(x)
        for p in self._pre:
            out = p(out)
            if out is None:
                raise ValueError(
                    f"preprocessor {getattr(p, 'name', p)!r}, run before {self.name!r}, "
                    "returned None; a preprocessor must return the row."
                )
        out = self._f(out) if self._f is not None else self._map(out)
        if self.memoize:
            self._cache[key] = out
        return out

    def _map(self, x: Any) -> Any:
        fields = self.run(**{arg: getattr(x, col) for arg, col in self.field_names.items()})
        if fields is None:
            return None
        if self.mapped_field_names is not None:
            fields = {new: fields[old] for old, new in self.mapped_field_names.items()}
        for key, value in fields.items():
            if isinstance(x, Row):
                x[key] = value
            else:
                setattr(x, key, value)
        return x

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


def _default_key(x: Any) -> Hashable:
    return _hashable(x)


BasePreprocessor = Preprocessor
"""Snorkel's name for the preprocessor base class (``snorkel.preprocess.BasePreprocessor``)."""


class LambdaPreprocessor(Preprocessor):
    """A :class:`Preprocessor` from a function, with Snorkel's argument order.

    ``LambdaPreprocessor(name, f, pre=None, memoize=False, memoize_key=None)`` is
    ``Preprocessor(f, name=name, pre=pre, memoize=memoize, memoize_key=memoize_key)``.
    """

    def __init__(
        self,
        name: str,
        f: Callable[[Any], Any],
        pre: Sequence[Callable[[Any], Any]] | None = None,
        memoize: bool = False,
        memoize_key: Callable[[Any], Hashable] | None = None,
    ) -> None:
        if not callable(f):
            raise ConfigError(f"A preprocessor must wrap a callable. Got {f!r} instead.")
        super().__init__(f, pre=pre, memoize=memoize, memoize_key=memoize_key, name=name)


def preprocessor(
    f: Callable[[Any], Any] | str | None = None,
    *,
    name: str | None = None,
    pre: Sequence[Callable[[Any], Any]] | None = None,
    memoize: bool = False,
    memoize_key: Callable[[Any], Hashable] | None = None,
) -> Any:
    """Decorator turning ``f(x) -> x`` into a :class:`Preprocessor`.

    Usable bare (``@preprocessor``) or with Snorkel's arguments
    (``@preprocessor(name=..., pre=[...], memoize=True, memoize_key=...)``; a string
    first argument is the name, as in Snorkel).

    Examples
    --------
    >>> @preprocessor(memoize=True)
    ... def lower(x):
    ...     x.text = x.text.lower()
    ...     return x
    >>> lower(Row({"text": "HI"})).text
    'hi'
    """
    if isinstance(f, str):
        name, f = f if name is None else name, None
    if f is not None:
        return Preprocessor(f, pre=pre, memoize=memoize, memoize_key=memoize_key, name=name)

    def decorate(func: Callable[[Any], Any]) -> Preprocessor:
        return Preprocessor(func, pre=pre, memoize=memoize, memoize_key=memoize_key, name=name)

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
