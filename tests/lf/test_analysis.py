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


def test_snorkel_argument_order_and_lfs():
    from labelmill.lf import labeling_function

    lfs = [labeling_function(name=n)(lambda x: -1) for n in ("a", "b", "c")]
    t = analyze_lfs(L, lfs)  # Snorkel's LFAnalysis(L, lfs) order
    assert list(t.index) == ["a", "b", "c"] and "correct" not in t
    t2 = analyze_lfs(L, Y, lfs=lfs)
    assert t2["correct"].tolist() == [1, 3, 1]
    with pytest.raises(InputError, match="got 2 labeling functions for 3 columns"):
        analyze_lfs(L, lfs[:2])
    with pytest.raises(InputError, match="both lfs and lf_names, and they disagree"):
        analyze_lfs(L, lfs=lfs, lf_names=["x", "y", "z"])


def test_lf_analysis_uses_snorkel_names():
    from labelmill.lf import LFAnalysis, labeling_function

    lfs = [labeling_function(name=n)(lambda x: -1) for n in ("a", "b", "c")]
    summary = LFAnalysis(L, lfs).lf_summary(Y, est_weights=np.array([0.1, 0.2, 0.3]))
    assert list(summary.columns) == [
        "j", "Polarity", "Coverage", "Overlaps", "Conflicts", "Correct", "Incorrect",
        "Emp. Acc.", "Learned Weight",
    ]  # fmt: skip
    assert list(summary.index) == ["a", "b", "c"] and summary["j"].tolist() == [0, 1, 2]
    np.testing.assert_allclose(summary["Emp. Acc."], [0.5, 1.0, 1.0])
    plain = LFAnalysis(L).lf_summary()
    assert list(plain.index) == [0, 1, 2] and "j" not in plain
    a = LFAnalysis(L)
    assert (a.label_coverage(), a.label_overlap(), a.label_conflict()) == (0.75, 0.75, 0.25)
    assert a.lf_polarities() == [[0], [0, 1], [1]]
    np.testing.assert_allclose(a.lf_coverages(), [0.5, 0.75, 0.25])
    np.testing.assert_allclose(a.lf_overlaps(normalize_by_coverage=True), [1, 1, 1])
    np.testing.assert_allclose(a.lf_conflicts(normalize_by_overlaps=True), [0.5, 1 / 3, 0])
    np.testing.assert_allclose(a.lf_empirical_accuracies(Y.reshape(-1, 1)), [0.5, 1, 1])
    P = a.lf_empirical_probs(Y, 2)
    assert P.shape == (3, 3, 2)
    np.testing.assert_allclose(P[0, :, 0], [0.5, 0.5, 0.0])  # class 0: abstain, vote 0
    with pytest.raises(InputError, match="LFAnalysis got 2 labeling functions for 3 columns"):
        LFAnalysis(L, lfs[:2])
    with pytest.raises(InputError, match="Y passed to LFAnalysis must hold one whole-number"):
        a.lf_summary(np.array([0.5, 1, 1, 0]))
