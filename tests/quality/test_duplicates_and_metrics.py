from __future__ import annotations

import numpy as np
import pytest

from labelmill.exceptions import ConfigError, InputError
from labelmill.quality import classification_metrics, find_duplicates


def test_exact_duplicates_by_hash():
    assert find_duplicates(np.array(["h1", "h2", "h1", "h3", "h2", "h1"])) == [[0, 2, 5], [1, 4]]
    assert find_duplicates(np.array([1, 2, 3])) == []
    assert find_duplicates(np.array([], dtype=str)) == []


def test_near_duplicates_across_blocks():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 32)).astype(np.float32)
    X[400] = X[3] * 2.0 + 1e-4  # same direction, different norm
    X[401] = X[3] + rng.normal(scale=1e-3, size=32)  # chain member
    X[10] = X[250]
    groups = find_duplicates(X, threshold=0.98, block_size=64)
    assert groups == [[3, 400, 401], [10, 250]]
    assert find_duplicates(X, threshold=0.98, block_size=10_000) == groups


def test_lsh_finds_the_same_groups_and_is_seeded():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(3000, 64)).astype(np.float32)
    X[2000:2050] = X[:50] + rng.normal(scale=0.05, size=(50, 64))  # cosine ~0.999
    exact = find_duplicates(X, threshold=0.98)
    assert len(exact) == 50
    approx = find_duplicates(X, threshold=0.98, method="lsh", random_state=0)
    assert approx == exact
    assert approx == find_duplicates(X, threshold=0.98, method="lsh", random_state=0)
    # never a false pair, even with a single tiny table that misses most pairs
    few = find_duplicates(X, threshold=0.98, method="lsh", n_tables=1, n_bits=30, random_state=1)
    assert {tuple(g) for g in few} <= {tuple(g) for g in exact}


def test_near_duplicates_threshold_matters():
    X = np.array([[1.0, 0.0], [0.95, 0.31]])  # cosine ~0.95
    assert find_duplicates(X, threshold=0.98) == []
    assert find_duplicates(X, threshold=0.9) == [[0, 1]]


def test_duplicate_errors():
    with pytest.raises(
        ConfigError,
        match=r"The 'threshold' parameter of find_duplicates must be a float in "
        r"\(-1, 1\]\. Got 1\.5 instead\.",
    ):
        find_duplicates(np.zeros((2, 2)), threshold=1.5)
    with pytest.raises(ConfigError, match=r"The 'block_size' parameter of find_duplicates"):
        find_duplicates(np.zeros((2, 2)), block_size=0)
    with pytest.raises(
        ConfigError,
        match=r"The 'method' parameter of find_duplicates must be one of 'exact', 'lsh'",
    ):
        find_duplicates(np.zeros((2, 2)), method="faiss")
    with pytest.raises(
        ConfigError, match=r"The 'n_bits' parameter of find_duplicates must be an int"
    ):
        find_duplicates(np.zeros((2, 2)), method="lsh", n_bits=64)
    with pytest.raises(ConfigError, match=r"The 'n_tables' parameter of find_duplicates"):
        find_duplicates(np.zeros((2, 2)), method="lsh", n_tables=0)
    with pytest.raises(InputError, match=r"Got an array of shape \(2, 2, 2\)"):
        find_duplicates(np.zeros((2, 2, 2)))
    with pytest.raises(InputError, match=r"finite features"):
        find_duplicates(np.array([[np.nan, 1.0], [1.0, 1.0]]))


def test_metrics_match_sklearn_conventions():
    y = np.array([0, 0, 1, 1, 2, 2])
    p = np.array([0, 1, 1, 1, 2, 0])
    m = classification_metrics(y, p, class_names=["a", "b", "c"])
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["per_class"].loc["b", "precision"] == pytest.approx(2 / 3)
    assert m["per_class"].loc["c", "recall"] == pytest.approx(0.5)
    assert -1 <= m["cohen_kappa"] <= 1 and m["cohen_kappa"] > 0
    perfect = classification_metrics(y, y, n_classes=4)
    assert perfect["cohen_kappa"] == 1.0 and perfect["macro_f1"] == 1.0
    assert perfect["per_class"].shape == (4, 9)
    assert perfect["confusion"].shape == (4, 4)


def test_metrics_errors():
    with pytest.raises(InputError, match=r"same length\. Got shapes \(2,\) and \(1,\)"):
        classification_metrics([0, 1], [0])
    with pytest.raises(InputError, match=r"class indices 0\.\.k-1"):
        classification_metrics([0, -1], [0, 1])
    with pytest.raises(InputError, match=r"label >= n_classes=2"):
        classification_metrics([0, 2], [0, 1], n_classes=2)
    with pytest.raises(InputError, match=r"expects 2 class_names\. Got 3"):
        classification_metrics([0, 1], [0, 1], class_names=["a", "b", "c"])
