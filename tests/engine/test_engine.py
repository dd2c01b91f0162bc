"""make_engine, the local engine, and the errors of the dask engine."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from labelmill.engine import (
    ENGINES,
    LocalEngine,
    connect_dask,
    make_engine,
    open_engine,
    row_bounds,
    start_local_cluster,
)
from labelmill.exceptions import ConfigError


def test_local_engine_maps_in_order_with_shared_objects():
    with make_engine("local") as engine:
        assert isinstance(engine, LocalEngine)
        assert list(engine.map(np.add, [1, 2, 3], shared=(10,))) == [11, 12, 13]
    assert make_engine(None).name == "local"


def test_an_engine_passed_in_is_returned_and_left_open():
    engine = LocalEngine()
    with open_engine(engine) as same:
        assert same is engine


def test_row_bounds_cover_every_row_once():
    bounds = row_bounds(10, 4)
    assert bounds == [(0, 4), (4, 8), (8, 10)]
    assert sum(b - a for a, b in bounds) == 10


def test_unknown_engine():
    with pytest.raises(ConfigError, match=r"The 'engine' must be one of local, dask .*'spark'"):
        make_engine("spark")
    assert ENGINES == ("local", "dask")


def test_scheduler_with_the_local_engine():
    with pytest.raises(ConfigError, match=r"scheduler address \(tcp://h:1\) was given with the lo"):
        make_engine("local", scheduler="tcp://h:1")


def test_engine_and_scheduler_together():
    with pytest.raises(ConfigError, match="Pass either an Engine or a scheduler address"):
        make_engine(LocalEngine(), scheduler="tcp://h:1")


def test_unreachable_scheduler_says_what_where_and_what_to_do():
    with pytest.raises(ConfigError) as info:
        make_engine("dask", scheduler="tcp://127.0.0.1:9", timeout=1)
    message = str(info.value)
    assert "No Dask scheduler answered at tcp://127.0.0.1:9 within 1 s" in message
    assert "dask worker tcp://127.0.0.1:9" in message
    assert "leave out --scheduler" in message


def test_empty_scheduler_address():
    with pytest.raises(ConfigError, match="must be a non-empty string such as tcp://"):
        connect_dask("  ")


def test_scheduler_without_workers():
    from distributed import LocalCluster

    with (
        LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster,
        pytest.raises(
            ConfigError,
            match=r"has no worker \(none joined within 1 s.*Start workers with: dask worker ",
        ),
    ):
        connect_dask(cluster.scheduler_address, timeout=1)


def test_dask_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(
        ConfigError, match=r"needs dask.distributed.*pip install 'dask\[distributed"
    ):
        make_engine("dask")
    with pytest.raises(ConfigError, match="--engine local"):
        connect_dask("tcp://127.0.0.1:9")


@pytest.mark.parametrize("n_workers", [0, -1, True, 1.5])
def test_bad_local_cluster_size(n_workers):
    with pytest.raises(ConfigError, match="'n_workers' of a local Dask cluster must be a posit"):
        start_local_cluster(n_workers=n_workers)


def test_bad_score_name():
    with pytest.raises(ConfigError, match="'score' parameter of LocalEngine.predict_and_score"):
        LocalEngine().predict_and_score(None, np.zeros((2, 2)), score="random")


def test_connect_to_a_running_scheduler_and_leave_it_running():
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        engine = make_engine("dask", scheduler=cluster.scheduler_address)
        assert engine.name == "dask" and engine.n_workers == 1
        assert "Dask scheduler at " in engine.describe() and "1 worker(s)" in engine.describe()
        assert list(engine.map(np.add, [1, 2], shared=(1,))) == [2, 3]
        engine.close()  # closes its own client only
        assert cluster.status.name == "running"
