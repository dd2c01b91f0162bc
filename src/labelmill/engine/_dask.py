"""The Dask engine: partitions as tasks on a ``dask.distributed`` cluster.

The driver (the process running the round) reads the store and sends partitions to the
workers; workers need labelmill installed, and nothing else of the project: no database
connection, no project folder. A featurizer is sent once per stage and kept resident on
each worker by version (:mod:`labelmill.engine._tasks`), so its model loads once per
worker. At most ``window`` partitions are in flight, so the driver holds a window of
partitions and the results, never every partition's input at once.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar

from labelmill.engine._base import Engine
from labelmill.exceptions import ConfigError

__all__ = ["DaskEngine", "connect_dask", "start_local_cluster"]

logger = logging.getLogger(__name__)

_NOT_INSTALLED = (
    "The dask engine needs dask.distributed, which cannot be imported here ({error}). "
    "Install it with: pip install 'dask[distributed]', or run with --engine local "
    "(engine='local')."
)


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise ConfigError(_NOT_INSTALLED.format(error=exc)) from None
    return distributed


class DaskEngine(Engine):
    """Runs partitions as tasks on a Dask cluster through ``client``.

    Build one with :func:`connect_dask` (a running scheduler) or
    :func:`start_local_cluster`, or through :func:`labelmill.engine.make_engine`.

    Parameters
    ----------
    client : distributed.Client
    cluster : distributed.LocalCluster or None
        A cluster this engine started, closed with it; None when the cluster is someone
        else's (only the client this engine opened is closed).
    own_client : bool
        Whether :meth:`close` closes ``client``.
    window : int or None
        Partitions in flight at once; default twice the number of workers (at least 2).
    """

    name: ClassVar[str] = "dask"

    def __init__(
        self,
        client: Any,
        *,
        cluster: Any = None,
        own_client: bool = False,
        window: int | None = None,
    ) -> None:
        self.client = client
        self.cluster = cluster
        self.own_client = own_client
        self.window = window

    @property
    def n_workers(self) -> int:
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def describe(self) -> str:
        where = "a local Dask cluster started for this run" if self.cluster else "Dask scheduler"
        link = getattr(self.client, "dashboard_link", None)
        dashboard = f", dashboard {link}" if link else ""
        return (
            f"dask engine: {where} at {self.client.scheduler.address} with "
            f"{self.n_workers} worker(s){dashboard}"
        )

    def map(
        self,
        func: Callable[..., Any],
        parts: Iterable[Any],
        *,
        shared: Sequence[Any] = (),
    ) -> Iterator[Any]:
        client = self.client
        sent = [
            obj
            if obj is None or isinstance(obj, (str, int, float, bool))
            else client.scatter([obj], broadcast=True, hash=False)[0]
            for obj in shared
        ]
        window = self.window or max(2, 2 * self.n_workers)
        pending: deque[Any] = deque()
        try:
            for part in parts:
                data = client.scatter([_Boxed(part)], hash=False)[0]
                pending.append(client.submit(_unboxed, func, data, *sent, pure=False))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            if pending:
                client.cancel(list(pending))

    def close(self) -> None:
        if self.own_client or self.cluster is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __repr__(self) -> str:
        return f"DaskEngine(scheduler={self.client.scheduler.address!r})"


class _Boxed:
    """A partition sent as one pickled object. Dask serializes a bare list (of payloads)
    element by element: 16,384 short texts took 4.7 s to scatter that way, against
    milliseconds as one object."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __getstate__(self) -> tuple[Any]:
        return (self.value,)  # never falsy: __setstate__ always runs

    def __setstate__(self, state: tuple[Any]) -> None:
        (self.value,) = state


def _unboxed(func: Callable[..., Any], box: _Boxed, *shared: Any) -> Any:
    return func(box.value, *shared)


def connect_dask(address: str, *, timeout: float = 10.0) -> DaskEngine:
    """An engine on the running Dask scheduler at ``address`` (``tcp://host:8786``).

    Raises
    ------
    ConfigError
        dask.distributed is not installed; nothing answers at ``address`` within
        ``timeout`` seconds; or the scheduler has no worker (each message says what to do).
    """
    if not isinstance(address, str) or not address.strip():
        raise ConfigError(
            "The Dask scheduler address must be a non-empty string such as "
            f"tcp://10.0.0.5:8786. Got {address!r} instead."
        )
    distributed = _import_distributed()
    try:
        client = distributed.Client(address, timeout=f"{timeout}s", set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        raise ConfigError(
            f"No Dask scheduler answered at {address} within {timeout:g} s "
            f"({type(exc).__name__}: {exc}). Start one there (dask scheduler, then "
            f"dask worker {address} on each machine), check the address, port and "
            "firewall, or leave out --scheduler to run on a local Dask cluster."
        ) from None
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        client.close()
        raise ConfigError(
            f"The Dask scheduler at {address} has no worker (none joined within "
            f"{timeout:g} s: {type(exc).__name__}). Start workers with: dask worker {address}"
        ) from None
    return DaskEngine(client, own_client=True)


def start_local_cluster(*, n_workers: int = 2, processes: bool = True) -> DaskEngine:
    """An engine on a new ``LocalCluster`` of ``n_workers`` single-threaded workers,
    closed with the engine.

    Raises
    ------
    ConfigError
        dask.distributed is not installed, or ``n_workers`` is not a positive int.
    """
    if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
        raise ConfigError(
            f"The 'n_workers' of a local Dask cluster must be a positive int. Got {n_workers!r}."
        )
    distributed = _import_distributed()
    cluster = distributed.LocalCluster(
        n_workers=n_workers,
        threads_per_worker=1,
        processes=processes,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    client = distributed.Client(cluster, set_as_default=False)
    logger.info(
        "started a local Dask cluster of %d workers at %s", n_workers, cluster.scheduler_address
    )
    return DaskEngine(client, cluster=cluster)
