"""Tiny seeded synthetic pools for the active-learning tests."""

from __future__ import annotations

import numpy as np
import pytest


def make_pool(n: int = 300, d: int = 8, k: int = 3, seed: int = 0):
    """A pool of n items in k gaussian blobs with a softmax 'model' over them."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 3, (k, d))
    y = rng.integers(0, k, n)
    x = centers[y] + rng.normal(0, 1, (n, d))
    logits = x @ centers.T / 4 + rng.normal(0, 0.5, (n, k))
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return p, x.astype(np.float32), y


@pytest.fixture
def pool():
    return make_pool()


@pytest.fixture
def pool_factory():
    return make_pool
