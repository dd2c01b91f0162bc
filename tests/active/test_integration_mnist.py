"""Margin sampling beats random sampling on real data (MNIST test split, skip if absent)."""

from __future__ import annotations

import gzip
import warnings

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression

from labelmill.active import query
from tests.conftest import shared_data


def _load(n: int) -> tuple[np.ndarray, np.ndarray]:
    with gzip.open(shared_data("mnist_test", "t10k-images-idx3-ubyte.gz")) as fh:
        x = np.frombuffer(fh.read(), np.uint8, offset=16).reshape(-1, 784)[:n] / 255.0
    with gzip.open(shared_data("mnist_test", "t10k-labels-idx1-ubyte.gz")) as fh:
        y = np.frombuffer(fh.read(), np.uint8, offset=8)[:n].astype(np.int64)
    return PCA(n_components=30, random_state=0).fit_transform(x).astype(np.float32), y


def _curve_end(x, y, strategy: str, seed: int, rounds: int = 5, batch: int = 50) -> float:
    rng = np.random.default_rng(seed)
    labeled = np.zeros(len(y), bool)
    labeled[rng.choice(len(y), 100, replace=False)] = True
    for _ in range(rounds + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = LogisticRegression(max_iter=200).fit(x[labeled], y[labeled])
        p = np.zeros((len(y), 10))
        p[:, model.classes_] = model.predict_proba(x)
        if labeled.sum() >= 100 + rounds * batch:
            return float(np.mean((p.argmax(1) == y) | labeled))
        pick = query(
            p, x, labeled_mask=labeled, batch_size=batch, strategy=strategy, random_state=rng
        )
        assert not labeled[pick].any()
        labeled[pick] = True
    raise AssertionError("unreachable")  # pragma: no cover


def test_margin_beats_random_on_mnist():
    x, y = _load(3000)
    margin = np.mean([_curve_end(x, y, "margin", s) for s in range(2)])
    random = np.mean([_curve_end(x, y, "random", s) for s in range(2)])
    assert margin > random + 0.01
