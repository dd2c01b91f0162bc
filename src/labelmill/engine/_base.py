"""The engine interface: one ``map`` over partitions, and the round's stages built on it.

An engine runs a function over partitions of items and gives the results back in
partition order. Everything a round spreads over items (rules, featurization, end-model
inference with the review-queue scores) is a module-level task function mapped over
partitions, so the local engine and the Dask engine compute the same thing on the same
partitions: their results are equal, not merely close.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # numpy is imported by the stages that use it: the CLI starts fast
    import numpy as np

__all__ = ["ENGINES", "PART_ROWS", "SCORES", "Engine", "row_bounds"]

ENGINES = ("local", "dask")
#: rows per partition of the in-memory arrays (features, probabilities)
PART_ROWS = 65_536
#: review-queue scores the inference tasks can compute beside the probabilities
SCORES = ("least_confidence", "margin", "entropy")


def row_bounds(n: int, part_rows: int = PART_ROWS) -> list[tuple[int, int]]:
    """``[(start, stop), ...]`` cutting ``n`` rows into partitions of ``part_rows``.

    Examples
    --------
    >>> row_bounds(5, 2)
    [(0, 2), (2, 4), (4, 5)]
    >>> row_bounds(0, 2)
    []
    """
    return [(a, min(a + part_rows, n)) for a in range(0, n, part_rows)]


class Engine(ABC):
    """Where the item-parallel work of a round runs.

    Subclasses implement :meth:`map`; the stage methods (:meth:`apply_rules`,
    :meth:`featurize`, :meth:`predict_proba`, :meth:`predict_and_score`) are built on it.
    An engine is a context manager: leaving it closes what it started (a local cluster),
    never a cluster it was handed.
    """

    name: ClassVar[str]

    @abstractmethod
    def map(
        self,
        func: Callable[..., Any],
        parts: Iterable[Any],
        *,
        shared: Sequence[Any] = (),
    ) -> Iterator[Any]:
        """``func(part, *shared)`` for every part, yielded in the order of ``parts``.

        ``parts`` may be a generator: it is consumed as results are taken, so only a
        window of partitions is in memory at once. ``shared`` objects (rules, a
        featurizer, a model) are sent once, not once per part.
        """

    def describe(self) -> str:
        """One line for people: what runs where."""
        return "local engine (this process)"

    @property
    def n_workers(self) -> int:
        return 1

    def close(self) -> None:
        """Release what this engine started (nothing for the local engine)."""
        return None

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the round's stages ------------------------------------------------------------
    def apply_rules(
        self, rules: Sequence[Any], frames: Iterable[Any], *, cardinality: int
    ) -> Iterator[np.ndarray]:
        """The ``(n_rows, n_rules)`` votes of ``rules`` on each frame (-1 = abstain), in
        order. A frame is a pandas DataFrame indexed by item id (errors name the item)."""
        import cloudpickle

        from labelmill.engine._tasks import apply_rules_task

        # by value: functions of a rule file are not importable on a worker
        blob = cloudpickle.dumps(list(rules))
        return self.map(apply_rules_task, frames, shared=(blob, cardinality))

    def featurize(self, featurizer: Any, payload_parts: Iterable[Sequence[Any]]) -> Iterator[Any]:
        """A :class:`~labelmill.features.FeatureBatch` per list of payloads, in order."""
        from labelmill.engine._tasks import featurize_task

        return self.map(featurize_task, payload_parts, shared=(featurizer,))

    def predict_proba(self, model: Any, X: np.ndarray, *, part_rows: int = PART_ROWS) -> np.ndarray:
        """``model.predict_proba`` over row partitions of ``X``, joined: ``(n, k)``."""
        import numpy as np

        from labelmill.engine._tasks import predict_task

        parts = (X[a:b] for a, b in row_bounds(X.shape[0], part_rows))
        blocks = list(self.map(predict_task, parts, shared=(model, None)))
        if not blocks:
            return np.asarray(model.predict_proba(X))
        return np.concatenate([p for p, _ in blocks], axis=0)

    def predict_and_score(
        self,
        model: Any,
        X: np.ndarray,
        *,
        score: str = "least_confidence",
        part_rows: int = PART_ROWS,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities ``(n, k)`` and an active-learning score per item ``(n,)`` (higher:
        more worth a person's look), both computed in the same task per partition.

        Raises
        ------
        ConfigError
            ``score`` is not one of :data:`SCORES`.
        """
        import numpy as np

        from labelmill.engine._tasks import predict_task
        from labelmill.utils._validation import check_choice

        check_choice(score, "score", f"{type(self).__name__}.predict_and_score", SCORES)
        parts = (X[a:b] for a, b in row_bounds(X.shape[0], part_rows))
        blocks = list(self.map(predict_task, parts, shared=(model, score)))
        if not blocks:
            proba = np.asarray(model.predict_proba(X))
            return proba, np.zeros(0)
        proba = np.concatenate([p for p, _ in blocks], axis=0)
        return proba, np.concatenate([s for _, s in blocks])
