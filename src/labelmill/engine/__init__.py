"""Where a round's item-parallel work runs: in this process, or on a Dask cluster.

A round spreads four kinds of work over its items: applying rules, featurizing, end-model
inference and the active-learning score of every item. :class:`Engine` maps task
functions over partitions of items; :class:`LocalEngine` runs them here one after the
other and :class:`DaskEngine` as tasks on ``dask.distributed`` workers. Both run the same
functions on the same partitions, so a round's labels, statuses and probabilities do not
depend on the engine. Reading the store, fitting the label model and the end model,
calibration, routing and writing stay in the process that runs the round (see
``docs/scaling.md``).

Examples
--------
>>> from labelmill.engine import make_engine
>>> with make_engine("local") as engine:
...     engine.describe()
'local engine (this process)'
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from labelmill.engine._base import ENGINES, PART_ROWS, SCORES, Engine, row_bounds
from labelmill.engine._dask import DaskEngine, connect_dask, start_local_cluster
from labelmill.engine._local import LocalEngine
from labelmill.exceptions import ConfigError

__all__ = [
    "ENGINES",
    "PART_ROWS",
    "SCORES",
    "DaskEngine",
    "Engine",
    "LocalEngine",
    "connect_dask",
    "make_engine",
    "open_engine",
    "row_bounds",
    "start_local_cluster",
]


def make_engine(
    engine: str | Engine | None = "local",
    *,
    scheduler: str | None = None,
    n_workers: int = 2,
    processes: bool = True,
    timeout: float = 10.0,
) -> Engine:
    """The engine a caller asks for by name (an :class:`Engine` is returned as it is).

    Parameters
    ----------
    engine : {"local", "dask"}, Engine or None
        None is ``"local"``.
    scheduler : str or None
        ``"dask"`` only: the address of a running scheduler (``tcp://host:8786``). Without
        it a ``LocalCluster`` of ``n_workers`` workers is started (and closed with the
        engine).
    n_workers, processes
        The local cluster's workers, and whether they are processes (else threads).
    timeout : float
        Seconds to wait for the scheduler, and for its first worker.

    Raises
    ------
    ConfigError
        Unknown engine; ``scheduler`` given to the local engine; dask not installed; the
        scheduler unreachable or without workers.
    """
    if isinstance(engine, Engine):
        if scheduler is not None:
            raise ConfigError(
                "Pass either an Engine or a scheduler address, not both: the engine already "
                "knows where it runs."
            )
        return engine
    name = "local" if engine is None else engine
    if name not in ENGINES:
        raise ConfigError(
            f"The 'engine' must be one of {', '.join(ENGINES)} (or an Engine). Got {name!r} "
            "instead."
        )
    if name == "local":
        if scheduler is not None:
            raise ConfigError(
                f"A scheduler address ({scheduler}) was given with the local engine; pass "
                "--engine dask (engine='dask') to run on that Dask cluster."
            )
        return LocalEngine()
    if scheduler is not None:
        return connect_dask(scheduler, timeout=timeout)
    return start_local_cluster(n_workers=n_workers, processes=processes)


@contextmanager
def open_engine(
    engine: str | Engine | None = "local", *, scheduler: str | None = None
) -> Iterator[Engine]:
    """:func:`make_engine` as a context: an engine made here is closed on leaving, an
    :class:`Engine` passed in is left open (its owner closes it)."""
    made = make_engine(engine, scheduler=scheduler)
    try:
        yield made
    finally:
        if made is not engine:
            made.close()
