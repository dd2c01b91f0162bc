from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture
def blobs() -> tuple[np.ndarray, np.ndarray]:
    """Three seeded Gaussian blobs in 5-D, 150 items."""
    rng = np.random.default_rng(7)
    centers = np.array([[2, 0, 0, 0, 0], [0, 2, 0, 0, 0], [0, 0, 2, 0, 0]], dtype=float)
    y = np.repeat(np.arange(3), 50)
    X = centers[y] + rng.normal(scale=0.8, size=(150, 5))
    return X, y


def _overconfident_model(seed: int, n: int = 4000, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """True labels and probabilities of a model whose logits are 3x too sharp."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=1.5, size=(n, k))
    p_true = np.exp(logits - logits.max(1, keepdims=True))
    p_true /= p_true.sum(1, keepdims=True)
    y = (rng.uniform(size=(n, 1)) > np.cumsum(p_true, axis=1)).sum(axis=1)
    sharp = np.exp(3 * (logits - logits.max(1, keepdims=True)))
    return y, sharp / sharp.sum(1, keepdims=True)


@pytest.fixture
def overconfident_model():
    """Factory: ``overconfident_model(seed, n=4000, k=3) -> (y, proba)``."""
    return _overconfident_model


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """On the shared 2-core machine, one BLAS thread per test is much faster than two."""
    with threadpool_limits(limits=1):
        yield
