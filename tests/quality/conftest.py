from __future__ import annotations

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """On the shared 2-core machine, one BLAS thread per test is much faster than two."""
    with threadpool_limits(limits=1):
        yield
