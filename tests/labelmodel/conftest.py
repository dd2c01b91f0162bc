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


def make_crowd(n=1500, m=60, k=3, per_item=5, seed=0, spammers=0):
    """Sparse crowd answers with known one-coin skills: returns (S, y, skill).

    ``S`` is scipy.sparse (label + 1, 0 = no answer); the last ``spammers`` workers
    answer uniformly at random.
    """
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    y = rng.choice(k, n, p=np.linspace(1, 2, k) / np.linspace(1, 2, k).sum())
    skill = rng.uniform(0.55, 0.95, m)
    if spammers:
        skill[-spammers:] = 1.0 / k
    rows = np.repeat(np.arange(n), per_item)
    cols = np.concatenate([rng.choice(m, per_item, replace=False) for _ in range(n)])
    right = rng.random(rows.size) < skill[cols]
    lab = np.where(right, y[rows], (y[rows] + rng.integers(1, k, rows.size)) % k)
    if spammers:
        spam = cols >= m - spammers
        lab[spam] = rng.integers(0, k, spam.sum())
    S = sp.csr_matrix((lab + 1, (rows, cols)), shape=(n, m))
    return S, y, skill


@pytest.fixture
def crowd():
    return make_crowd
