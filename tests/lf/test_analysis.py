"""analyze_lfs: coverage, overlaps, conflicts, accuracies."""

import numpy as np
import pytest

from labelmill.exceptions import InputError
from labelmill.labelmodel import LabelModel
from labelmill.lf import analyze_lfs

L = np.array(
    [
        [0, 0, -1],
        [0, 1, -1],
        [-1, 1, 1],
        [-1, -1, -1],
    ]
)
Y = np.array([0, 1, 1, 0])


def test_statistics():
    t = analyze_lfs(L, lf_names=["a", "b", "c"])
    assert list(t.index) == ["a", "b", "c"]
    assert t["polarity"].tolist() == [[0], [0, 1], [1]]
    np.testing.assert_allclose(t["coverage"], [0.5, 0.75, 0.25])
    np.testing.assert_allclose(t["overlaps"], [0.5, 0.75, 0.25])
    np.testing.assert_allclose(t["conflicts"], [0.25, 0.25, 0.0])


def test_gold_and_label_model():
    lm = LabelModel().fit(L)
    t = analyze_lfs(L, Y, label_model=lm)
    assert t["correct"].tolist() == [1, 3, 1] and t["incorrect"].tolist() == [1, 0, 0]
    np.testing.assert_allclose(t["empirical_accuracy"], [0.5, 1.0, 1.0])
    np.testing.assert_allclose(t["estimated_accuracy"], lm.source_accuracies())


def test_errors():
    with pytest.raises(InputError, match="2 lf_names for 3 columns"):
        analyze_lfs(L, lf_names=["a", "b"])
    with pytest.raises(InputError, match="y passed to analyze_lfs must be a 1-D int array"):
        analyze_lfs(L, np.array([0, 1]))
    with pytest.raises(InputError, match="must have a source_accuracies"):
        analyze_lfs(L, label_model=object())
    with pytest.raises(InputError, match="fitted on 2 sources"):
        analyze_lfs(L, label_model=LabelModel().fit(L[:, :2]))
