"""Built-in table transformations: interpolation within a class, Gaussian noise (private).

Both act on a row as a ``dict`` of column -> value and return a new dict with the same
columns. Numeric columns are those whose values in :meth:`fit` are numbers (booleans
excluded), or those named ``"numeric"`` in ``column_types``. A changed numeric value keeps
its type (an ``int`` stays an ``int``, rounded up or down at random in proportion) and
stays inside the range seen in :meth:`fit`; booleans, categories and missing values are
never noised.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from labelmill.augment._base import TransformationFunction
from labelmill.exceptions import ConfigError, InputError
from labelmill.utils._validation import check_fraction, check_positive

__all__ = ["ClassInterpolation", "GaussianNoise"]

_KINDS = ("numeric", "categorical", "ignore")


def _is_number(v: Any) -> bool:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        return False
    return math.isfinite(float(v))


def _is_integer(v: Any) -> bool:
    return isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, (bool, np.bool_))


def _check_row(x: Any, owner: str) -> dict[str, Any]:
    if not isinstance(x, Mapping):
        raise InputError(f"{owner} transforms table rows (dicts). Got {type(x).__name__} instead.")
    return dict(x)


def _cast_like(old: Any, new: float, low: float, high: float, rng: np.random.Generator) -> Any:
    """``new`` clipped to ``[low, high]``, with the type of ``old``.

    Integers are rounded stochastically (up with probability of the fractional part),
    so that noise smaller than 1 still moves them on average as much as it should.
    """
    new = min(max(new, low), high)
    if _is_integer(old):
        floor = math.floor(new)
        return type(old)(floor + int(rng.random() < new - floor))
    if isinstance(old, (float, np.floating)):
        return type(old)(new)
    return new


def _check_column_types(column_types: Mapping[str, str] | None, owner: str) -> dict[str, str]:
    out = dict(column_types or {})
    for col, kind in out.items():
        if kind not in _KINDS:
            raise ConfigError(
                f"The 'column_types' parameter of {owner} maps each column to one of "
                f"{', '.join(_KINDS)}. Got {kind!r} for column {col!r} instead."
            )
    return out


class _ColumnStats:
    """Per numeric column: std, min and max of the values seen in ``fit``."""

    def __init__(self, rows: Sequence[Mapping[str, Any]], column_types: dict[str, str]) -> None:
        values: dict[str, list[float]] = {}
        other: set[str] = set()
        for row in rows:
            for col, v in row.items():
                if _is_number(v):
                    values.setdefault(col, []).append(float(v))
                elif v is not None and not (isinstance(v, float) and math.isnan(v)):
                    other.add(col)  # a bool, a string: not a numeric column
        self.numeric: dict[str, tuple[float, float, float]] = {}
        for col, vals in values.items():
            kind = column_types.get(col)
            if kind in ("categorical", "ignore") or (col in other and kind != "numeric"):
                continue
            arr = np.asarray(vals)
            self.numeric[col] = (float(arr.std()), float(arr.min()), float(arr.max()))


class GaussianNoise(TransformationFunction):
    """Add Gaussian noise of ``scale`` times each numeric column's std.

    Parameters
    ----------
    scale : float, default=0.1
        Noise std as a share of the column's std (in :meth:`fit`'s rows).
    column_types : dict of str -> {"numeric", "categorical", "ignore"}, optional
        Overrides: a "categorical" or "ignore" column is never noised.
    name : str, default="gaussian_noise"

    Examples
    --------
    >>> import numpy as np
    >>> rows = [{"age": 20, "city": "Oslo"}, {"age": 60, "city": "Rome"}]
    >>> tf = GaussianNoise(scale=0.5).fit(rows, None)
    >>> out = tf({"age": 30, "city": "Oslo"}, rng=np.random.default_rng(0))
    >>> type(out["age"]).__name__, out["city"]
    ('int', 'Oslo')
    """

    data_type = "tabular"

    def __init__(
        self,
        scale: float = 0.1,
        *,
        column_types: Mapping[str, str] | None = None,
        name: str = "gaussian_noise",
    ) -> None:
        self.scale = check_positive(scale, "scale", "GaussianNoise")
        self.column_types = _check_column_types(column_types, "GaussianNoise")
        super().__init__(name)

    def _params(self) -> dict[str, Any]:
        return {"scale": float(self.scale), "column_types": self.column_types}

    def fit(self, payloads: Sequence[Any], labels: Any) -> GaussianNoise:
        """Learn each numeric column's std and range from ``payloads`` (dict rows)."""
        rows = [_check_row(r, "GaussianNoise") for r in payloads]
        self.stats_ = _ColumnStats(rows, self.column_types)
        return self

    def transform(self, x: Any, *, rng: np.random.Generator, label: int) -> Any:
        row = _check_row(x, "GaussianNoise")
        stats = getattr(self, "stats_", None) or _ColumnStats([row], self.column_types)
        changed = False
        for col, (std, low, high) in stats.numeric.items():
            v: Any = row.get(col)
            if not _is_number(v) or std <= 0:
                continue
            noisy = float(v) + float(rng.normal(0.0, float(self.scale) * std))
            new = _cast_like(v, noisy, low, high, rng)
            changed |= new != v
            row[col] = new
        return row if changed else None


class ClassInterpolation(TransformationFunction):
    """Mixup within a class: move a row part of the way towards another row of its class.

    For a partner drawn among :meth:`fit`'s rows of the same class and ``lam`` drawn from
    ``[0, max_share]``, numeric columns become ``x + lam * (partner - x)`` and every other
    column takes the partner's value with probability ``lam``. Both rows carry the label,
    so the new row keeps it; rows of a class with one member are skipped.

    Parameters
    ----------
    max_share : float in (0, 1], default=0.5
    column_types : dict of str -> {"numeric", "categorical", "ignore"}, optional
        "ignore" columns keep the row's own value.
    name : str, default="class_interpolation"
    """

    data_type = "tabular"

    def __init__(
        self,
        max_share: float = 0.5,
        *,
        column_types: Mapping[str, str] | None = None,
        name: str = "class_interpolation",
    ) -> None:
        self.max_share = check_fraction(max_share, "max_share", "ClassInterpolation")
        self.column_types = _check_column_types(column_types, "ClassInterpolation")
        super().__init__(name)

    def _params(self) -> dict[str, Any]:
        return {"max_share": self.max_share, "column_types": self.column_types}

    def fit(self, payloads: Sequence[Any], labels: Any) -> ClassInterpolation:
        """Keep ``payloads`` (dict rows) by class; ``labels`` are their class indices."""
        rows = [_check_row(r, "ClassInterpolation") for r in payloads]
        if labels is None or len(labels) != len(rows):
            raise InputError(
                "ClassInterpolation.fit needs one class index per row. Got "
                f"{'no labels' if labels is None else f'{len(labels)} labels'} for "
                f"{len(rows)} rows."
            )
        self.stats_ = _ColumnStats(rows, self.column_types)
        self.by_class_: dict[int, list[dict[str, Any]]] = {}
        for row, y in zip(rows, labels, strict=True):
            self.by_class_.setdefault(int(y), []).append(row)
        return self

    def transform(self, x: Any, *, rng: np.random.Generator, label: int) -> Any:
        row = _check_row(x, "ClassInterpolation")
        pool = [r for r in getattr(self, "by_class_", {}).get(int(label), []) if r != row]
        if not pool:
            return None
        partner = pool[int(rng.integers(len(pool)))]
        lam = float(rng.uniform(0.0, float(self.max_share or 1.0)))
        for col, v in row.items():
            if self.column_types.get(col) == "ignore" or col not in partner:
                continue
            other = partner[col]
            if col in self.stats_.numeric and _is_number(v) and _is_number(other):
                _, low, high = self.stats_.numeric[col]
                mixed = float(v) + lam * (float(other) - float(v))
                row[col] = _cast_like(v, mixed, low, high, rng)
            elif rng.random() < lam:
                row[col] = other
        return row
