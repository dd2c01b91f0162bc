from __future__ import annotations

import numpy as np
import pytest

from labelmill.exceptions import ConfigError, InputError
from labelmill.learn import EndModel, training_targets


def test_rows_targets_and_weights():
    post = np.array([[0.7, 0.3], [0.5, 0.5], [0.2, 0.8], [0.6, 0.4]])
    rows, Y, w = training_targets(
        post,
        np.array([-1, 1, 0, -1]),
        covered=np.array([True, False, True, True]),
        exclude=np.array([False, False, False, True]),
        human_weight=3.0,
    )
    assert rows.tolist() == [0, 1, 2]
    np.testing.assert_array_equal(Y, [[0.7, 0.3], [0.0, 1.0], [1.0, 0.0]])
    assert w.tolist() == [1.0, 3.0, 3.0]
    # plugs straight into EndModel.fit
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    EndModel().fit(X[rows], Y, sample_weight=w)


def test_defaults_train_on_everything():
    post = np.array([[0.7, 0.3], [0.5, 0.5]])
    rows, Y, w = training_targets(post)
    assert rows.tolist() == [0, 1] and w.tolist() == [1.0, 1.0]


def test_errors():
    post = np.array([[0.7, 0.3], [0.5, 0.5]])
    with pytest.raises(ConfigError, match=r"The 'human_weight' parameter of training_targets"):
        training_targets(post, human_weight=0)
    with pytest.raises(InputError, match=r"'covered' as a bool array of shape \(2,\)"):
        training_targets(post, covered=[1, 0])
    with pytest.raises(InputError, match=r"'exclude' as a bool array of shape \(2,\)"):
        training_targets(post, exclude=np.array([True]))
    with pytest.raises(InputError, match=r"human_labels as ints of shape \(2,\), -1 where none"):
        training_targets(post, np.array([0.5, 1.0]))
    with pytest.raises(InputError, match=r"human labels in 0\.\.1\. Got 2"):
        training_targets(post, np.array([2, -1]))
    with pytest.raises(InputError, match=r"training_targets expects probability rows"):
        training_targets(np.array([[0.7, 0.7]]))
