"""Dask clusters for the engine tests: one per module, small (2 single-threaded workers)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def threads_engine():
    """A DaskEngine on an in-process LocalCluster (workers are threads of this process)."""
    from labelmill.engine import start_local_cluster

    engine = start_local_cluster(n_workers=2, processes=False)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def processes_engine():
    """A DaskEngine on a LocalCluster of 2 worker processes (everything is pickled)."""
    from labelmill.engine import start_local_cluster

    engine = start_local_cluster(n_workers=2, processes=True)
    yield engine
    engine.close()
