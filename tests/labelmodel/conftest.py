import numpy as np
import pytest


def make_votes(n=2000, m=8, k=2, seed=0, coverage=0.6, unipolar=False):
    """Synthetic votes with known accuracies (0.6..0.9): returns L, y, accuracies."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    acc = np.linspace(0.6, 0.9, m)
    fires = rng.random((n, m)) < coverage
    right = rng.random((n, m)) < acc
    wrong = (y[:, None] + rng.integers(1, k, (n, m))) % k
    L = np.where(right, y[:, None], wrong)
    if unipolar:  # source j only ever votes class j % k
        pol = np.arange(m) % k
        L = np.where(pol[None, :] == L, L, -1)
    L = np.where(fires, L, -1)
    return L, y, acc


@pytest.fixture
def votes():
    return make_votes()


@pytest.fixture
def make():
    return make_votes
