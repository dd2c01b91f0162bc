"""Snorkel's applier classes: thin aliases over apply_lfs."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from labelmill.exceptions import ConfigError, LabelingFunctionError
from labelmill.lf import (
    ApplierMetadata,
    DaskLFApplier,
    LFApplier,
    PandasLFApplier,
    PandasParallelLFApplier,
    apply_lfs,
    labeling_function,
    rules_from_dicts,
)


@labeling_function()
def big(x):
    return 1 if x.num > 42 else 0


@labeling_function()
def fragile(x):
    if x.num == 13:
        raise ValueError("unlucky")
    return -1


@pytest.fixture
def frame():
    return pd.DataFrame({"num": [10, 100, 13, 50, 7, 13]})


def test_pandas_applier_is_apply_lfs(frame):
    applier = PandasLFApplier([big, fragile])
    with pytest.raises(LabelingFunctionError, match="'fragile' raised ValueError: unlucky"):
        applier.apply(frame)
    L, meta = applier.apply(frame, progress_bar=False, fault_tolerant=True, return_meta=True)
    np.testing.assert_array_equal(L, apply_lfs([big, fragile], frame, fault_tolerant=True))
    assert meta == ApplierMetadata(faults={"fragile": 2})
    assert PandasLFApplier([big]).apply(frame, return_meta=True)[1].faults == {}
    assert repr(applier) == "PandasLFApplier, LFs: ['big', 'fragile']"


def test_lf_applier_on_data_points():
    points = [SimpleNamespace(num=10), SimpleNamespace(num=100)]
    assert LFApplier([big]).apply(points).tolist() == [[0], [1]]

    @labeling_function()
    def first_big(x):
        return 1 if x[0] > 42 else 0

    assert LFApplier([first_big]).apply(np.array([[10], [100]])).tolist() == [[0], [1]]
    L, meta = LFApplier([fragile]).apply(
        [SimpleNamespace(num=13)], fault_tolerant=True, return_meta=True
    )
    assert L.tolist() == [[-1]] and meta.faults == {"fragile": 1}
    rule = rules_from_dicts([{"name": "kw", "kind": "keywords", "keywords": ["a"], "label": 1}])
    with pytest.raises(ConfigError, match=r"declarative rules \['kw'\] need a DataFrame"):
        LFApplier(rule).apply(points)


def test_dask_appliers(frame):
    dd = pytest.importorskip("dask.dataframe")
    want = apply_lfs([big], frame)
    parts = dd.from_pandas(frame, npartitions=2)
    np.testing.assert_array_equal(DaskLFApplier([big]).apply(parts, scheduler="threads"), want)
    np.testing.assert_array_equal(
        PandasParallelLFApplier([big]).apply(frame, n_parallel=3, scheduler="synchronous"), want
    )
    with pytest.raises(ConfigError, match="'n_parallel' argument .* must be an int >= 2"):
        PandasParallelLFApplier([big]).apply(frame, n_parallel=1)


def test_applier_misuse():
    with pytest.raises(ConfigError, match="names must be unique"):
        PandasLFApplier([big, big])
    with pytest.raises(ConfigError, match="'lfs' passed to PandasLFApplier is empty"):
        PandasLFApplier([])
