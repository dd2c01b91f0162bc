"""The local engine: every partition in this process, one after the other."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar

from labelmill.engine._base import Engine

__all__ = ["LocalEngine"]


class LocalEngine(Engine):
    """Runs each partition in this process, in order (the default engine).

    Examples
    --------
    >>> with LocalEngine() as engine:
    ...     list(engine.map(lambda part, step: part * step, [1, 2, 3], shared=(10,)))
    [10, 20, 30]
    """

    name: ClassVar[str] = "local"

    def map(
        self,
        func: Callable[..., Any],
        parts: Iterable[Any],
        *,
        shared: Sequence[Any] = (),
    ) -> Iterator[Any]:
        for part in parts:
            yield func(part, *shared)

    def __repr__(self) -> str:
        return "LocalEngine()"
