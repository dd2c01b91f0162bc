"""Applying labeling functions and rules to a DataFrame: local, process pool or Dask."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from labelmill.exceptions import ConfigError, InputError, LabelingFunctionError
from labelmill.lf._core import LabelingFunction, Row
from labelmill.lf._rules import Rule, prepare_rules

__all__ = ["LabelMatrix", "apply_lfs"]

logger = logging.getLogger(__name__)

ENGINES = ("local", "processes", "dask")
LOCAL_SCHEDULERS = ("threads", "processes", "synchronous", "sync", "single-threaded")
"""Dask's local schedulers: ``engine="dask"`` runs on them without a cluster."""


class LabelMatrix(np.ndarray):
    """The ``(n_items, n_lfs)`` int array returned by :func:`apply_lfs` (-1 = abstain).

    A plain numpy array with two extra attributes; ``np.asarray(L)`` drops them.

    Attributes
    ----------
    lf_names : list of str
    failures : dict of str to int
        Per labeling function, how many calls raised and were counted as abstain
        (``fault_tolerant=True``); zero everywhere otherwise.
    """

    lf_names: list[str]
    failures: dict[str, int]

    def __array_finalize__(self, obj: Any) -> None:
        self.lf_names = getattr(obj, "lf_names", [])
        self.failures = getattr(obj, "failures", {})


def _lf_name(lf: Any, j: int) -> str:
    return str(getattr(lf, "name", None) or getattr(lf, "__name__", None) or f"lf_{j}")


def _normalise(lfs: Any, owner: str = "apply_lfs") -> list[Any]:
    if isinstance(lfs, (LabelingFunction, Rule)) or callable(lfs) and not isinstance(lfs, type):
        lfs = [lfs]
    try:
        items = list(lfs)
    except TypeError:
        raise ConfigError(
            f"'lfs' passed to {owner} must be a list of labeling functions or rules. "
            f"Got {type(lfs).__name__}."
        ) from None
    if not items:
        raise ConfigError(f"'lfs' passed to {owner} is empty; pass at least one labeling function.")
    for j, lf in enumerate(items):
        if not callable(lf) and not isinstance(lf, Rule):
            raise ConfigError(
                f"Entry {j} of 'lfs' passed to {owner} is not a labeling function or rule "
                f"(got {type(lf).__name__}); decorate functions with @labeling_function()."
            )
    names = [_lf_name(lf, j) for j, lf in enumerate(items)]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ConfigError(f"Labeling function names must be unique; these repeat: {sorted(dup)}.")
    return items


class _Failure:
    """A picklable record of the first exception a labeling function raised."""

    def __init__(self, lf: str, position: int, index: Any, error: str) -> None:
        self.lf, self.position, self.index, self.error = lf, position, index, error

    def to_error(self) -> LabelingFunctionError:
        return LabelingFunctionError(
            f"Labeling function {self.lf!r} raised {self.error} on item at row {self.position} "
            f"(index {self.index!r}). Fix the function (from Python, "
            "fault_tolerant=True counts such failures as abstains)."
        )


def _bad_output(lf: str, position: int, index: Any, value: Any, cardinality: int | None) -> str:
    upper = f" and < cardinality {cardinality}" if cardinality is not None else ""
    return (
        f"Labeling function {lf!r} returned {value!r} ({type(value).__name__}) on item at row "
        f"{position} (index {index!r}); it must return a class index >= 0{upper} (an int, "
        "or a bool or whole float as Snorkel accepts), or -1 to abstain."
    )


def _as_vote(v: Any) -> int | None:
    """An LF's output as an int vote, or None when it is not a class index.

    ints and numpy ints as they are; bools (``True`` is class 1, ``False`` class 0) and
    floats with a whole value (``1.0``), as Snorkel's appliers store them.
    """
    if isinstance(v, (int, np.integer)):  # bool and np.bool_ are ints here
        return int(v)
    if isinstance(v, np.bool_):
        return int(v)
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return int(v)
    return None


def vote_rows(
    funcs: Sequence[Callable[[Any], Any]],
    names: Sequence[str],
    rows: Iterable[Any],
    index: Sequence[Any],
    out: np.ndarray,
    columns: Sequence[int],
    *,
    offset: int,
    fault_tolerant: bool,
    cardinality: int | None,
    failures: list[int],
) -> _Failure | str | None:
    """Call every function on every row object; write the votes into ``out[:, columns]``.

    Each row object is shared by all functions (as Snorkel's appliers do). Returns the
    first error (a ``_Failure`` or an invalid-output message) or None.
    """
    for i, row in enumerate(rows):
        for jj, f in enumerate(funcs):
            try:
                v = f(row)
            except Exception as exc:
                if fault_tolerant:
                    failures[columns[jj]] += 1
                    continue
                return _Failure(names[jj], offset + i, index[i], f"{type(exc).__name__}: {exc}")
            if type(v) is not int:
                vote = _as_vote(v)
                if vote is None:
                    return _bad_output(names[jj], offset + i, index[i], v, cardinality)
                v = vote
            if v < -1 or (cardinality is not None and v >= cardinality):
                return _bad_output(names[jj], offset + i, index[i], v, cardinality)
            out[i, columns[jj]] = v
    return None


def _frame_rows(data: pd.DataFrame) -> Iterator[Row]:
    """One :class:`Row` per row of ``data`` (columns converted to Python lists once)."""
    columns = [str(c) for c in data.columns]
    arrays = [data[c].tolist() for c in data.columns]
    adopt = Row._adopt
    if not arrays:
        for label in data.index:
            yield adopt({}, label)
        return
    for label, values in zip(data.index, zip(*arrays, strict=True), strict=True):
        yield adopt(dict(zip(columns, values, strict=True)), label)


def _apply_chunk(
    lfs: Sequence[Any],
    data: pd.DataFrame,
    offset: int,
    fault_tolerant: bool,
    cardinality: int | None,
) -> tuple[np.ndarray, list[int], _Failure | str | None]:
    """Votes of all LFs on one chunk. Returns (L, failures per LF, first error or None).

    The error is a ``_Failure`` (an LF raised) or a ``str`` (an invalid output); both are
    turned into exceptions by the caller so that they cross process boundaries intact.
    """
    n = len(data)
    L = np.full((n, len(lfs)), -1, dtype=np.int64)
    failures = [0] * len(lfs)
    python_cols = [j for j, lf in enumerate(lfs) if not isinstance(lf, Rule)]
    rule_cols = [j for j, lf in enumerate(lfs) if isinstance(lf, Rule)]
    if rule_cols:
        cache: dict[str, Any] = {}
        # convert shared text columns and build token indexes once, before threads start
        prepare_rules([lfs[j] for j in rule_cols], data, cache)
        # One thread: on the shared 2-core machine of benchmarks/rules.py, running the
        # Arrow scans in a second thread made 30 rules on 500,000 texts slower (11.5 s
        # against 8.7 s), and the token index leaves little to overlap.
        for j in rule_cols:
            lfs[j].write_votes(L[:, j], data, cache)
    if python_cols:
        error = vote_rows(
            [lfs[j] for j in python_cols],
            [_lf_name(lfs[j], j) for j in python_cols],
            _frame_rows(data),
            data.index,
            L,
            python_cols,
            offset=offset,
            fault_tolerant=fault_tolerant,
            cardinality=cardinality,
            failures=failures,
        )
        if error is not None:
            return L, failures, error
    return L, failures, None


def _chunk_bounds(n: int, n_chunks: int) -> list[tuple[int, int]]:
    n_chunks = max(1, min(n_chunks, n)) if n else 1
    edges = np.linspace(0, n, n_chunks + 1).astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _run_pickled(blob: bytes, data: pd.DataFrame, offset: int, ft: bool, k: int | None) -> Any:
    import cloudpickle

    return _apply_chunk(cloudpickle.loads(blob), data, offset, ft, k)


def apply_lfs(
    lfs: Any,
    data: Any,
    *,
    engine: str = "local",
    fault_tolerant: bool = False,
    n_jobs: int | None = None,
    scheduler: Any = None,
    progress: bool = False,
    cardinality: int | None = None,
) -> LabelMatrix:
    """Apply labeling functions and rules to every row of a DataFrame.

    Declarative rules run vectorised over whole columns; Python labeling functions run
    row by row, receiving a row object with attribute access (``x.text``).

    Parameters
    ----------
    lfs : sequence of LabelingFunction, Rule or callable
    data : pandas.DataFrame (or a dask DataFrame with ``engine="dask"``)
    engine : {"local", "processes", "dask"}, default="local"
        ``"processes"`` splits the rows into chunks run by a pool of ``n_jobs`` processes
        (functions are shipped with cloudpickle); ``"dask"`` runs chunks (or the partitions
        of a dask DataFrame) on a ``dask.distributed`` cluster.
    fault_tolerant : bool, default=False
        False: the first call that raises stops everything with a LabelingFunctionError
        naming the function and the item. True: such calls count as abstains and are
        counted per function in ``L.failures``.
    n_jobs : int or None
        Processes (``"processes"``) or chunks (``"dask"``); default: the CPU count, or
        twice the number of Dask workers.
    scheduler : distributed.Client, str or None
        ``"dask"`` only: a Client, a scheduler address, None for the current client, or
        one of dask's local schedulers (``"threads"``, ``"processes"``, ``"synchronous"``)
        to run the chunks or partitions without a cluster.
    progress : bool, default=False
        Log progress per chunk (logger ``labelmill.lf._apply``, level INFO).
    cardinality : int or None
        When given, outputs must be < cardinality.

    Returns
    -------
    L : LabelMatrix, (n_items, n_lfs) int array, -1 = abstain
        With ``L.lf_names`` and ``L.failures``.

    Raises
    ------
    ConfigError
        Bad engine, n_jobs or lfs.
    InputError
        ``data`` is not a DataFrame, or a rule reads a column the data lacks.
    LabelingFunctionError
        A function raised (``fault_tolerant=False``) or returned an invalid value.

    Examples
    --------
    >>> import pandas as pd
    >>> from labelmill.lf import labeling_function
    >>> @labeling_function()
    ... def short(x):
    ...     return 0 if len(x.text) < 5 else -1
    >>> apply_lfs([short], pd.DataFrame({"text": ["hi", "hello world"]})).tolist()
    [[0], [-1]]
    """
    items = _normalise(lfs)
    if engine not in ENGINES:
        raise ConfigError(
            f"The 'engine' parameter of apply_lfs must be one of {', '.join(ENGINES)}. "
            f"Got {engine!r} instead."
        )
    if n_jobs is not None and (
        isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1
    ):
        raise ConfigError(
            f"The 'n_jobs' parameter of apply_lfs must be a positive int or None. Got {n_jobs!r}."
        )
    is_dask_frame = type(data).__module__.startswith("dask")
    if not isinstance(data, pd.DataFrame) and not (engine == "dask" and is_dask_frame):
        raise InputError(
            f"'data' passed to apply_lfs must be a pandas DataFrame (one row per item). "
            f"Got {type(data).__name__}."
        )
    cols = list(data.columns)
    for lf in items:
        if isinstance(lf, Rule):
            lf.check_columns(data if isinstance(data, pd.DataFrame) else pd.DataFrame(columns=cols))

    names = [_lf_name(lf, j) for j, lf in enumerate(items)]
    if engine == "local":
        parts = [_apply_chunk(items, data, 0, fault_tolerant, cardinality)]
    elif engine == "processes":
        parts = _run_processes(items, data, fault_tolerant, cardinality, n_jobs, progress)
    else:
        parts = _run_dask(items, data, fault_tolerant, cardinality, n_jobs, scheduler, progress)

    return label_matrix(parts, names)


def label_matrix(parts: list[Any], names: list[str]) -> LabelMatrix:
    """Join the ``(L, failures, error)`` results of chunks; raise the first error."""
    for _, _, err in parts:
        if isinstance(err, _Failure):
            raise err.to_error()
        if isinstance(err, str):
            raise LabelingFunctionError(err)
    blocks = [p[0] for p in parts]
    L = np.concatenate(blocks, axis=0) if blocks else np.empty((0, len(names)), dtype=np.int64)
    failures = np.sum([p[1] for p in parts], axis=0) if parts else np.zeros(len(names))
    out = L.view(LabelMatrix)
    out.lf_names = names
    out.failures = {n: int(c) for n, c in zip(names, failures, strict=True)}
    failed = {n: c for n, c in out.failures.items() if c}
    if failed:
        logger.warning("labeling functions failed on some items (counted as abstain): %s", failed)
    return out


def _run_processes(
    items: list[Any],
    data: pd.DataFrame,
    fault_tolerant: bool,
    cardinality: int | None,
    n_jobs: int | None,
    progress: bool,
) -> list[Any]:
    import multiprocessing as mp

    import cloudpickle

    workers = n_jobs or os.cpu_count() or 1
    blob = cloudpickle.dumps(items)
    bounds = _chunk_bounds(len(data), workers * 4)
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(method)) as pool:
        futures = [
            pool.submit(_run_pickled, blob, data.iloc[a:b], a, fault_tolerant, cardinality)
            for a, b in bounds
        ]
        parts = []
        for i, fut in enumerate(futures):
            parts.append(fut.result())
            if progress:
                logger.info("apply_lfs: chunk %d/%d done", i + 1, len(futures))
    return parts


def _run_dask(
    items: list[Any],
    data: Any,
    fault_tolerant: bool,
    cardinality: int | None,
    n_jobs: int | None,
    scheduler: Any,
    progress: bool,
) -> list[Any]:
    if isinstance(scheduler, str) and scheduler in LOCAL_SCHEDULERS:
        return _run_dask_local(items, data, fault_tolerant, cardinality, n_jobs, scheduler)
    import cloudpickle
    from distributed import Client, get_client

    if scheduler is None:
        try:
            client = get_client()
        except ValueError:
            raise ConfigError(
                "apply_lfs(engine='dask') needs a dask.distributed cluster: pass "
                "scheduler=Client(...) or a scheduler address, or create a Client first."
            ) from None
        own = False
    elif isinstance(scheduler, Client):
        client, own = scheduler, False
    elif isinstance(scheduler, str):
        client, own = Client(scheduler), True  # type: ignore[no-untyped-call]
    else:
        raise ConfigError(
            "The 'scheduler' parameter of apply_lfs must be a distributed.Client, a scheduler "
            f"address string, one of {', '.join(LOCAL_SCHEDULERS)} or None. "
            f"Got {type(scheduler).__name__}."
        )
    try:
        blob = cloudpickle.dumps(items)
        if isinstance(data, pd.DataFrame):
            n_workers = max(1, len(client.scheduler_info().get("workers", {})))
            bounds = _chunk_bounds(len(data), n_jobs or 2 * n_workers)
            chunks = [(data.iloc[a:b], a) for a, b in bounds]
        else:  # a dask DataFrame: one task per partition, computed on the cluster
            part_futures = client.compute(data.to_delayed())  # type: ignore[no-untyped-call]
            lengths = client.gather([client.submit(len, f, pure=False) for f in part_futures])  # type: ignore[no-untyped-call]
            offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(int)
            chunks = [(f, int(o)) for f, o in zip(part_futures, offsets, strict=True)]
        blob_f = client.scatter(blob, broadcast=True)  # type: ignore[no-untyped-call]
        futures = [
            client.submit(_run_pickled, blob_f, part, off, fault_tolerant, cardinality, pure=False)
            for part, off in chunks
        ]
        parts = []
        for i, fut in enumerate(futures):
            parts.append(fut.result())
            if progress:
                logger.info("apply_lfs: partition %d/%d done", i + 1, len(futures))
        return parts
    finally:
        if own:
            client.close()  # type: ignore[no-untyped-call]


def _run_dask_local(
    items: list[Any],
    data: Any,
    fault_tolerant: bool,
    cardinality: int | None,
    n_jobs: int | None,
    scheduler: str,
) -> list[Any]:
    """Chunks of a pandas DataFrame, or partitions of a dask one, on a local scheduler."""
    import cloudpickle
    import dask

    if isinstance(data, pd.DataFrame):
        bounds = _chunk_bounds(len(data), n_jobs or 2 * (os.cpu_count() or 1))
        chunks = [(data.iloc[a:b], a) for a, b in bounds]
    else:
        frames = dask.compute(*data.to_delayed(), scheduler=scheduler)  # type: ignore[attr-defined]
        offsets = np.concatenate([[0], np.cumsum([len(f) for f in frames])[:-1]]).astype(int)
        chunks = [(f, int(o)) for f, o in zip(frames, offsets, strict=True)]
    blob = cloudpickle.dumps(items)
    run = dask.delayed(_run_pickled, pure=False)  # type: ignore[attr-defined]
    tasks = [run(blob, part, off, fault_tolerant, cardinality) for part, off in chunks]
    return list(dask.compute(*tasks, scheduler=scheduler))  # type: ignore[attr-defined]
