"""Snorkel's applier classes, as thin aliases over :func:`~labelmill.lf.apply_lfs`.

``PandasLFApplier(lfs).apply(df)`` is ``apply_lfs(lfs, df)``; the Dask appliers map onto
``engine="dask"`` / ``engine="processes"``. Everything they return is labelmill's
:class:`~labelmill.lf.LabelMatrix` (a numpy array, with ``lf_names`` and ``failures``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import numpy as np

from labelmill.exceptions import ConfigError
from labelmill.lf._apply import (
    LabelMatrix,
    _lf_name,
    _normalise,
    apply_lfs,
    label_matrix,
    vote_rows,
)
from labelmill.lf._rules import Rule

__all__ = [
    "ApplierMetadata",
    "DaskLFApplier",
    "LFApplier",
    "PandasLFApplier",
    "PandasParallelLFApplier",
]


class ApplierMetadata(NamedTuple):
    """What ``apply(..., return_meta=True)`` returns beside the label matrix.

    Attributes
    ----------
    faults : dict of str to int
        Per labeling function that failed (``fault_tolerant=True``), how many calls
        raised; functions that never failed are left out, as in Snorkel.
    """

    faults: dict[str, int]


class _BaseApplier:
    """Holds the labeling functions; their names must be unique."""

    def __init__(self, lfs: Sequence[Any]) -> None:
        self._lfs = _normalise(lfs, owner=type(self).__name__)
        self._lf_names = [_lf_name(lf, j) for j, lf in enumerate(self._lfs)]

    def _result(self, L: LabelMatrix, return_meta: bool) -> Any:
        if return_meta:
            return L, ApplierMetadata({n: c for n, c in L.failures.items() if c})
        return L

    def __repr__(self) -> str:
        return f"{type(self).__name__}, LFs: {self._lf_names}"


class PandasLFApplier(_BaseApplier):
    """Snorkel's ``PandasLFApplier``: ``apply(df)`` is ``apply_lfs(lfs, df)``.

    Parameters
    ----------
    lfs : sequence of LabelingFunction, Rule or callable

    Raises
    ------
    ConfigError
        ``lfs`` is empty, holds a non-callable or repeats a name.

    Examples
    --------
    >>> import pandas as pd
    >>> from labelmill.lf import labeling_function
    >>> @labeling_function()
    ... def is_big_num(x):
    ...     return 1 if x.num > 42 else 0
    >>> PandasLFApplier([is_big_num]).apply(pd.DataFrame({"num": [10, 100]})).tolist()
    [[0], [1]]
    """

    def apply(
        self,
        df: Any,
        progress_bar: bool = True,
        fault_tolerant: bool = False,
        return_meta: bool = False,
    ) -> Any:
        """Label every row of ``df``.

        Parameters
        ----------
        df : pandas.DataFrame
        progress_bar : bool, default=True
            Accepted for Snorkel's sake; labelmill shows no progress bar here (use
            ``apply_lfs(..., progress=True)`` for logged progress).
        fault_tolerant : bool, default=False
            As in :func:`apply_lfs`: False raises ``LabelingFunctionError`` naming the
            function and the row (Snorkel re-raises the function's own exception); True
            counts failures as abstains.
        return_meta : bool, default=False
            Also return :class:`ApplierMetadata`.

        Returns
        -------
        L : LabelMatrix, (n_items, n_lfs) int array, -1 = abstain
        meta : ApplierMetadata
            Only with ``return_meta=True``.
        """
        L = apply_lfs(self._lfs, df, fault_tolerant=fault_tolerant)
        return self._result(L, return_meta)


class LFApplier(_BaseApplier):
    """Snorkel's ``LFApplier``: label a list of data points, or the rows of a numpy array.

    Each data point (a ``SimpleNamespace``, a dict-like object, a numpy row...) is passed
    to the functions as it is. Declarative rules need a DataFrame: use
    :class:`PandasLFApplier` or :func:`apply_lfs` for them.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from labelmill.lf import labeling_function
    >>> @labeling_function()
    ... def is_big_num(x):
    ...     return 1 if x.num > 42 else 0
    >>> LFApplier([is_big_num]).apply([SimpleNamespace(num=10), SimpleNamespace(num=100)])
    LabelMatrix([[0],
                 [1]])
    """

    def apply(
        self,
        data_points: Iterable[Any],
        progress_bar: bool = True,
        fault_tolerant: bool = False,
        return_meta: bool = False,
    ) -> Any:
        """Label every data point; arguments as for :meth:`PandasLFApplier.apply`.

        Raises
        ------
        ConfigError
            A declarative rule is among the functions.
        LabelingFunctionError
            A function raised (``fault_tolerant=False``) or returned an invalid value.
        """
        rules = [n for lf, n in zip(self._lfs, self._lf_names, strict=True) if isinstance(lf, Rule)]
        if rules:
            raise ConfigError(
                f"LFApplier calls functions on single data points; the declarative rules "
                f"{rules} need a DataFrame: use PandasLFApplier or apply_lfs."
            )
        points = list(data_points)
        L = np.full((len(points), len(self._lfs)), -1, dtype=np.int64)
        failures = [0] * len(self._lfs)
        error = vote_rows(
            self._lfs,
            self._lf_names,
            points,
            range(len(points)),
            L,
            list(range(len(self._lfs))),
            offset=0,
            fault_tolerant=fault_tolerant,
            cardinality=None,
            failures=failures,
        )
        return self._result(label_matrix([(L, failures, error)], self._lf_names), return_meta)


class DaskLFApplier(_BaseApplier):
    """Snorkel's ``DaskLFApplier``: ``apply(df, scheduler)`` is
    ``apply_lfs(lfs, df, engine="dask", scheduler=scheduler)``.

    ``df`` is a dask (or pandas) DataFrame; ``scheduler`` a ``distributed.Client``, a
    scheduler address, or one of dask's local schedulers (``"processes"``, the default,
    ``"threads"``, ``"synchronous"``).
    """

    def apply(self, df: Any, scheduler: Any = "processes", fault_tolerant: bool = False) -> Any:
        """Label every row of ``df``; returns the LabelMatrix."""
        return apply_lfs(
            self._lfs, df, engine="dask", scheduler=scheduler, fault_tolerant=fault_tolerant
        )


class PandasParallelLFApplier(DaskLFApplier):
    """Snorkel's ``PandasParallelLFApplier``: a pandas DataFrame cut into ``n_parallel``
    chunks, run on a dask scheduler (``apply_lfs(..., engine="dask", n_jobs=n_parallel)``).

    Raises
    ------
    ConfigError
        ``n_parallel`` < 2 (use :class:`PandasLFApplier`), as in Snorkel.
    """

    def apply(  # type: ignore[override]
        self,
        df: Any,
        n_parallel: int = 2,
        scheduler: Any = "processes",
        fault_tolerant: bool = False,
    ) -> Any:
        """Label every row of ``df`` in ``n_parallel`` chunks; returns the LabelMatrix."""
        if isinstance(n_parallel, bool) or not isinstance(n_parallel, int) or n_parallel < 2:
            raise ConfigError(
                "The 'n_parallel' argument of PandasParallelLFApplier.apply must be an int >= 2. "
                f"Got {n_parallel!r} instead; for one process use PandasLFApplier."
            )
        return apply_lfs(
            self._lfs,
            df,
            engine="dask",
            scheduler=scheduler,
            n_jobs=n_parallel,
            fault_tolerant=fault_tolerant,
        )
