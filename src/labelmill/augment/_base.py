"""Transformation functions: the plug-in point of augmentation (private).

A transformation function takes one item's payload (a ``str`` for text, a PIL image for
images, a ``dict`` of column -> value for tables) and returns a *new* payload of the same
kind that keeps the item's label, or ``None`` to skip the item. Label preservation is the
function's contract: the applier copies the source item's label onto whatever it returns.

Two ways to write one, with the shape of :class:`~labelmill.lf.LabelingFunction`:
decorate a function (``@transformation_function()``), or subclass
:class:`TransformationFunction` and implement ``transform(self, x, *, rng, label)``
(and ``fit(self, payloads, labels)`` when it learns from the items, as the built-in
neighbour replacement and in-class interpolation do).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from labelmill.exceptions import ConfigError, TransformationFunctionError
from labelmill.utils._definitions import short_hash
from labelmill.utils._definitions import source_of as _source_of

__all__ = [
    "TransformationFunction",
    "TransformationFunctionError",
    "transformation_function",
]

_CONTEXT = ("rng", "label")


def _context_params(f: Callable[..., Any]) -> tuple[str, ...]:
    """The call-time context (``rng``, ``label``) that ``f`` asks for by parameter name."""
    try:
        params = inspect.signature(f).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return ()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return _CONTEXT
    return tuple(name for name in _CONTEXT if name in params)


class TransformationFunction:
    """A label-preserving transformation ``f(x, **resources) -> new x or None``.

    Parameters
    ----------
    name : str
    f : callable, optional
        ``f(x, **resources)``. It may also take ``rng`` (a ``numpy.random.Generator``,
        seeded per item and copy: use it for every random choice so that results are
        reproducible) and ``label`` (the item's class index) by naming those parameters.
        Return a new payload, or None to skip the item. Subclasses leave ``f`` out and
        implement :meth:`transform` instead.
    resources : mapping, optional
        Extra keyword arguments passed to ``f`` on every call.
    pre : sequence of callables, optional
        Functions ``x -> x`` applied in order before ``f`` sees the item.

    Attributes
    ----------
    name : str
    data_type : {"text", "image", "tabular"} or None
        The payload kind the function is written for (None: any; user functions).
    version : str
        12 hex digits hashing the function's source, its pre-processors' source and its
        resource names (and, for built-ins, their parameters).

    Raises
    ------
    ConfigError
        The name is empty, ``f`` (or a ``pre`` entry) is not callable, or neither ``f``
        nor a ``transform`` method is given.

    Examples
    --------
    >>> tf = TransformationFunction("shout", lambda x: x.upper() + "!")
    >>> tf("hi")
    'HI!'
    """

    data_type: str | None = None

    def __init__(
        self,
        name: str,
        f: Callable[..., Any] | None = None,
        resources: Mapping[str, Any] | None = None,
        pre: Sequence[Callable[[Any], Any]] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ConfigError(
                f"A transformation function needs a non-empty string name. Got {name!r} instead."
            )
        has_transform = type(self).transform is not TransformationFunction.transform
        if f is None and not has_transform:
            raise ConfigError(
                f"TransformationFunction {name!r} must wrap a callable (or subclass "
                "TransformationFunction and implement transform). Got None instead."
            )
        if f is not None and not callable(f):
            raise ConfigError(
                f"TransformationFunction {name!r} must wrap a callable. Got {f!r} instead."
            )
        self.name = name
        self._f = f
        self._resources = dict(resources or {})
        self._pre = list(pre or [])
        for p in self._pre:
            if not callable(p):
                raise ConfigError(
                    f"Every 'pre' entry of transformation function {name!r} must be callable "
                    f"(x -> x). Got {p!r} instead."
                )
        self._wants = _context_params(f) if f is not None else _CONTEXT
        self.definition: dict[str, Any] = {
            "kind": "transformation",
            "name": name,
            "source": _source_of(f if f is not None else type(self)),
            "params": self._params(),
            "pre": [
                {"name": getattr(p, "name", type(p).__name__), "source": _source_of(p)}
                for p in self._pre
            ],
            "resources": sorted(self._resources),
        }
        self.version = short_hash(self.definition)

    # ------------------------------------------------------------ for subclasses
    def fit(self, payloads: Sequence[Any], labels: Any) -> TransformationFunction:
        """Learn what the function needs from the items to augment (default: nothing).

        Parameters
        ----------
        payloads : list of payloads
            The items (or a larger corpus of the same kind, for text statistics).
        labels : (n_items,) int array or None
            Their class indices; None when ``payloads`` is an unlabeled corpus.

        Returns
        -------
        self
        """
        return self

    def transform(self, x: Any, *, rng: np.random.Generator, label: int) -> Any:
        """Subclasses: a new payload from ``x``, or None to skip it."""
        raise NotImplementedError  # pragma: no cover - only reached without f or a subclass

    def _params(self) -> dict[str, Any]:
        """Parameters that change the output (built-ins), for ``version``."""
        return {}

    # ------------------------------------------------------------------- calling
    def __call__(self, x: Any, *, rng: np.random.Generator | None = None, label: int = -1) -> Any:
        """Apply the pre-processors, then the function, to one payload ``x``.

        ``rng`` defaults to a Generator seeded with 0, so that a direct call is
        reproducible; the appliers pass one seeded per item and copy.
        """
        for p in self._pre:
            x = p(x)
            if x is None:
                raise ValueError(
                    f"pre-processor {getattr(p, 'name', p)!r} of {self.name!r} returned None; "
                    "a pre-processor must return the item."
                )
        gen = np.random.default_rng(0) if rng is None else rng
        if self._f is None:
            return self.transform(x, rng=gen, label=label)
        context = {"rng": gen, "label": label}
        extra = {k: context[k] for k in self._wants}
        return self._f(x, **self._resources, **extra)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, version={self.version!r})"


def transformation_function(
    name: str | None = None,
    resources: Mapping[str, Any] | None = None,
    pre: Sequence[Callable[[Any], Any]] | None = None,
) -> Any:
    """Decorator making a :class:`TransformationFunction` (the shape of ``labeling_function``).

    Usable bare (``@transformation_function``) or called
    (``@transformation_function(name=..., resources={...}, pre=[...])``).

    Parameters
    ----------
    name : str, optional
        Defaults to the function's name.
    resources : mapping, optional
        Keyword arguments passed to the function on every call.
    pre : sequence of callables, optional
        Functions ``x -> x`` run on the item first.

    Returns
    -------
    decorator, or the TransformationFunction when used bare

    Raises
    ------
    ConfigError
        ``name`` is neither a string nor None.

    Examples
    --------
    >>> @transformation_function()
    ... def add_please(x, rng):
    ...     return None if x.endswith("please") else x + " please"
    >>> add_please("open the door"), add_please("go please")
    ('open the door please', None)
    """
    if callable(name) and not isinstance(name, str):
        func = name
        return TransformationFunction(func.__name__, func)
    if name is not None and not isinstance(name, str):
        raise ConfigError(
            "The 'name' argument of transformation_function must be a string or None. "
            f"Got {name!r} instead."
        )

    def decorate(f: Callable[..., Any]) -> TransformationFunction:
        return TransformationFunction(name or f.__name__, f, resources=resources, pre=pre)

    return decorate
