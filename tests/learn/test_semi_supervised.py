from __future__ import annotations

import numpy as np
import pytest

from labelmill.exceptions import ConfigError, InputError
from labelmill.learn import label_spreading


def test_spreading_labels_two_moons_like_clusters(blobs):
    X, y = blobs
    labels = np.full_like(y, -1)
    seeds = np.r_[0:5, 50:55, 100:105]
    labels[seeds] = y[seeds]
    post = label_spreading(X, labels, n_neighbors=10)
    assert post.shape == (150, 3)
    np.testing.assert_allclose(post.sum(1), 1.0)
    assert np.mean(post.argmax(1) == y) > 0.85


def test_unseen_class_gets_a_zero_column(blobs):
    X, y = blobs
    labels = np.full_like(y, -1)
    labels[[0, 50]] = [0, 1]
    post = label_spreading(X, labels, n_classes=4)
    assert post.shape == (150, 4)
    assert post[:, 3].max() == 0.0


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        (
            {"alpha": 1.0},
            ConfigError,
            r"The 'alpha' parameter of label_spreading must be a float in \(0, 1\)",
        ),
        ({"n_neighbors": 0}, ConfigError, r"The 'n_neighbors' parameter of label_spreading"),
        ({"max_iter": -2}, ConfigError, r"The 'max_iter' parameter of label_spreading"),
        ({"n_classes": 1}, InputError, r"labels in 0\.\.0 \(n_classes=1\)\. Got 1"),
    ],
)
def test_parameter_errors(blobs, kwargs, err, match):
    X, y = blobs
    labels = np.full_like(y, -1)
    labels[[0, 50]] = [0, 1]
    with pytest.raises(err, match=match):
        label_spreading(X, labels, **kwargs)


def test_input_errors(blobs):
    X, y = blobs
    with pytest.raises(InputError, match=r"at least one labeled item"):
        label_spreading(X, np.full_like(y, -1))
    with pytest.raises(InputError, match=r"with -1 for unlabeled items"):
        label_spreading(X, y[:10])
    with pytest.raises(InputError, match=r"labels >= -1\. Got -2"):
        label_spreading(X, np.where(y == 0, -2, y))
