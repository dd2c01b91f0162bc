"""Tabular featurizer: scaled numbers, one-hot categories with an 'other' bucket,
imputation with missing indicators (private)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from labelmill.exceptions import ConfigError, InputError
from labelmill.features._base import Featurizer
from labelmill.utils._validation import check_positive

__all__ = ["COLUMN_TYPES", "TabularFeaturizer", "infer_column_types"]

COLUMN_TYPES = ("numeric", "categorical", "ignore")
_MISSING = "__missing__"


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def infer_column_types(frame: pd.DataFrame) -> dict[str, str]:
    """Guess ``"numeric"`` or ``"categorical"`` for every column of ``frame``.

    Booleans and numbers are numeric; text columns whose non-empty values all parse as
    numbers are numeric; everything else is categorical.

    Examples
    --------
    >>> infer_column_types(pd.DataFrame({"age": [30, 41], "city": ["Oslo", "Rome"]}))
    {'age': 'numeric', 'city': 'categorical'}
    """
    types: dict[str, str] = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            types[str(col)] = "numeric"
            continue
        present = s[~s.map(_is_missing)]
        parsed = pd.to_numeric(present, errors="coerce")
        numeric = len(present) > 0 and bool(parsed.notna().all())
        types[str(col)] = "numeric" if numeric else "categorical"
    return types


class TabularFeaturizer(Featurizer):
    """Featurize table rows: scale numbers, one-hot categories, impute and flag missing.

    Numeric columns are imputed with the median seen in :meth:`fit`, then standardized;
    every numeric column also gets a 0/1 "was missing" indicator. Categorical columns are
    one-hot encoded over the values seen at least ``min_frequency`` times in :meth:`fit`
    (at most ``max_categories`` per column, the most frequent first); every other value,
    including values never seen, goes to an ``other`` bucket, and missing values to their
    own ``missing`` column. Column types are inferred, and can be overridden.

    Parameters
    ----------
    column_types : dict of str -> {"numeric", "categorical", "ignore"} or None
        Overrides of the inferred types.
    columns : sequence of str or None
        Use only these columns (None: every column seen in :meth:`fit`).
    min_frequency : int
        Categories seen fewer times go to the ``other`` bucket.
    max_categories : int
        Most one-hot columns per categorical column (plus ``other`` and ``missing``).

    Attributes
    ----------
    column_types_ : dict of str -> str
        The type used for every column.
    feature_names_ : list of str
        Name of every output column.

    Examples
    --------
    >>> rows = [{"age": 30, "city": "Oslo"}, {"age": None, "city": "Rome"}]
    >>> f = TabularFeaturizer(min_frequency=1).fit(rows)
    >>> f.feature_names_
    ['age', 'age=missing', 'city=Oslo', 'city=Rome', 'city=other', 'city=missing']
    """

    name = "tabular"
    requires_fit = True

    def __init__(
        self,
        *,
        column_types: dict[str, str] | None = None,
        columns: list[str] | None = None,
        min_frequency: int = 5,
        max_categories: int = 50,
    ) -> None:
        self.column_types = column_types
        self.columns = columns
        self.min_frequency = min_frequency
        self.max_categories = max_categories

    def _check_params(self) -> None:
        owner = type(self).__name__
        check_positive(self.min_frequency, "min_frequency", owner, integer=True)
        check_positive(self.max_categories, "max_categories", owner, integer=True)
        for col, kind in (self.column_types or {}).items():
            if kind not in COLUMN_TYPES:
                raise ConfigError(
                    f"The 'column_types' parameter of {owner} maps each column to one of "
                    f"{', '.join(COLUMN_TYPES)}. Got {kind!r} for column {col!r} instead."
                )

    def _frame(self, items: list[Any]) -> tuple[pd.DataFrame, dict[int, str]]:
        reasons: dict[int, str] = {}
        rows: list[Mapping[str, Any]] = []
        for i, item in enumerate(items):
            if isinstance(item, Mapping):
                rows.append(item)
            else:
                reasons[i] = f"expected a row (dict of column -> value), got {type(item).__name__}"
                rows.append({})
        return pd.DataFrame.from_records(rows, index=range(len(rows))), reasons

    def _fit(self, items: list[Any]) -> None:
        frame, reasons = self._frame(items)
        frame = frame.drop(index=list(reasons))
        if frame.empty:
            raise InputError(
                "TabularFeaturizer.fit needs at least one row (a dict of column -> value). "
                f"Got {len(items)} payloads and none was a row; pass rows or a DataFrame."
            )
        wanted = [str(c) for c in (self.columns or frame.columns)]
        missing_cols = [c for c in wanted if c not in frame.columns]
        if missing_cols:
            raise InputError(
                f"TabularFeaturizer was asked for columns {missing_cols} that no row has. "
                f"Got columns {[str(c) for c in frame.columns]}; fix the 'columns' parameter."
            )
        unknown = [c for c in (self.column_types or {}) if c not in wanted]
        if unknown:
            raise ConfigError(
                f"The 'column_types' parameter of TabularFeaturizer names columns {unknown} "
                f"that are not featurized. Got columns {wanted}; fix the names."
            )
        frame = frame[wanted]
        types = infer_column_types(frame)
        types.update(self.column_types or {})
        numeric: dict[str, tuple[float, float]] = {}
        categories: dict[str, list[str]] = {}
        names: list[str] = []
        for col in wanted:
            kind = types[col]
            if kind == "numeric":
                values = self._numbers(frame[col])
                center = float(np.nanmedian(values)) if np.isfinite(values).any() else 0.0
                filled = np.where(np.isfinite(values), values, center)
                scale = float(filled.std()) or 1.0
                mean = float(filled.mean())
                numeric[col] = (center, mean, scale)  # type: ignore[assignment]
                names += [col, f"{col}=missing"]
            elif kind == "categorical":
                present = frame[col][~frame[col].map(_is_missing)].astype(str)
                counts = present.value_counts(sort=False)
                kept = counts[counts >= int(self.min_frequency)]
                order = sorted(kept.items(), key=lambda kv: (-kv[1], kv[0]))
                cats = sorted(str(k) for k, _ in order[: int(self.max_categories)])
                categories[col] = cats
                names += [f"{col}={c}" for c in cats] + [f"{col}=other", f"{col}=missing"]
        self.column_types_ = {c: types[c] for c in wanted}
        self.numeric_ = numeric
        self.categories_ = categories
        self.feature_names_ = names

    @staticmethod
    def _numbers(series: pd.Series) -> NDArray[np.float64]:
        cleaned = series.map(lambda v: np.nan if _is_missing(v) else v)
        if pd.api.types.is_bool_dtype(cleaned):
            cleaned = cleaned.astype(float)
        values = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=np.float64)
        values[~np.isfinite(values)] = np.nan
        return values

    def _n_features_or_zero(self) -> int:
        return len(getattr(self, "feature_names_", []))

    def _featurize(self, items: list[Any]) -> tuple[NDArray[Any], dict[int, str]]:
        frame, reasons = self._frame(items)
        n = len(items)
        blocks: list[NDArray[np.float32]] = []
        for col, kind in self.column_types_.items():
            series = frame[col] if col in frame.columns else pd.Series([None] * n)
            if kind == "numeric":
                center, mean, scale = self.numeric_[col]  # type: ignore[misc]
                values = self._numbers(series)
                missing = ~np.isfinite(values)
                values = np.where(missing, center, values)
                blocks.append(((values - mean) / scale)[:, None].astype(np.float32))
                blocks.append(missing[:, None].astype(np.float32))
            elif kind == "categorical":
                cats = self.categories_[col]
                lookup = {c: j for j, c in enumerate(cats)}
                block = np.zeros((n, len(cats) + 2), dtype=np.float32)
                for i, value in enumerate(series.tolist()):
                    if _is_missing(value):
                        block[i, len(cats) + 1] = 1.0
                    else:
                        block[i, lookup.get(str(value), len(cats))] = 1.0
                blocks.append(block)
        if not blocks:
            return np.zeros((n, 0), dtype=np.float32), reasons
        return np.concatenate(blocks, axis=1), reasons

    def _version_parts(self) -> Any:
        learned = repr((self.column_types_, self.numeric_, self.categories_)).encode("utf-8")
        return {
            "min_frequency": int(self.min_frequency),
            "max_categories": int(self.max_categories),
            "learned": hashlib.sha256(learned).hexdigest()[:16],
        }
