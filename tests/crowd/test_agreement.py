"""Agreement metrics equal scikit-learn's, statsmodels' and the krippendorff package's."""

import krippendorff
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from labelmill.crowd import (
    cohen_kappa,
    fleiss_kappa,
    item_agreement,
    krippendorff_alpha,
    pairwise_agreement,
    percent_agreement,
)
from labelmill.exceptions import ConfigError, InputError


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_kappa_equals_sklearn(seed, weights):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 4, 80)
    b = np.where(rng.random(80) < 0.6, a, rng.integers(0, 4, 80))
    expected = cohen_kappa_score(a, b, weights=weights)
    assert abs(cohen_kappa(a, b, weights=weights) - expected) < 1e-9
    names = np.array(["lo", "mid", "high", "top"])
    got = cohen_kappa(names[a], names[b], weights=weights, classes=list(names))
    assert abs(got - expected) < 1e-9


def test_cohen_kappa_missing_and_degenerate():
    assert cohen_kappa(["a", None, "b", "a"], ["a", "b", np.nan, "b"]) == pytest.approx(
        cohen_kappa_score(["a", "a"], ["a", "b"])
    )
    assert np.isnan(cohen_kappa([None], ["a"]))
    assert np.isnan(cohen_kappa(["a", "a"], ["a", "a"]))  # chance agreement 1


@pytest.mark.parametrize("seed", range(5))
def test_fleiss_kappa_equals_statsmodels(seed):
    rng = np.random.default_rng(seed)
    table = rng.multinomial(7, rng.dirichlet(np.ones(4)), size=50)
    assert abs(fleiss_kappa(table) - sm_fleiss_kappa(table)) < 1e-9


def test_fleiss_kappa_from_answers_equals_count_table(answers):
    df, _, _ = answers
    table = pd.crosstab(df["item"], df["label"]).to_numpy()
    assert abs(fleiss_kappa(df) - sm_fleiss_kappa(table)) < 1e-9
    assert abs(percent_agreement(df) - percent_agreement(table)) < 1e-12


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
def test_krippendorff_alpha_equals_package(seed, level):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 5, 60)
    R = np.where(rng.random((6, 60)) < 0.7, truth, rng.integers(0, 5, (6, 60))).astype(float)
    R[rng.random(R.shape) < 0.35] = np.nan  # missing answers
    expected = krippendorff.alpha(
        reliability_data=R, level_of_measurement=level, value_domain=np.arange(5)
    )
    assert abs(krippendorff_alpha(R, level=level, classes=range(5)) - expected) < 1e-9


def test_krippendorff_alpha_from_answers_and_ordinal_names():
    R = np.array([[0, 1, 2, np.nan], [0, 1, 1, 2], [1, 1, 2, 2]])
    names = ["low", "mid", "high"]
    rows = [
        (u, c, names[int(R[c, u])]) for c in range(3) for u in range(4) if not np.isnan(R[c, u])
    ]
    df = pd.DataFrame(rows, columns=["item", "worker", "label"])
    for level in ("nominal", "ordinal"):
        expected = krippendorff.alpha(
            reliability_data=R, level_of_measurement=level, value_domain=[0, 1, 2]
        )
        assert abs(krippendorff_alpha(df, level=level, classes=names) - expected) < 1e-9


def test_percent_agreement_and_item_agreement():
    df = pd.DataFrame(
        {"item": [1, 1, 1, 2, 2, 3], "worker": list("abcabd"), "label": list("xxyyyx")}
    )
    assert percent_agreement(df) == pytest.approx((1 / 3 + 1) / 2)
    items = item_agreement(df)
    assert items["item"].tolist() == [1, 2, 3]
    assert items["n_answers"].tolist() == [3, 2, 1]
    assert items["majority_label"].tolist() == ["x", "y", "x"]
    np.testing.assert_allclose(items["agreement"].to_numpy()[:2], [1 / 3, 1.0])
    assert np.isnan(items["agreement"].iloc[2])


def test_latest_answer_counts_for_agreement():
    df = pd.DataFrame({"item": [1, 1, 1], "worker": ["a", "b", "a"], "label": ["x", "y", "y"]})
    assert percent_agreement(df) == 1.0  # a changed its mind to y


def test_pairwise_agreement(answers):
    df, _, _ = answers
    pairs = pairwise_agreement(df, min_shared=5)
    assert list(pairs.columns) == ["worker_a", "worker_b", "n_shared", "agreement", "kappa"]
    assert (pairs["n_shared"] >= 5).all()
    row = pairs.iloc[0]
    shared = df[df["worker"].isin([row.worker_a, row.worker_b])]
    wide = shared.pivot(index="item", columns="worker", values="label").dropna()
    a, b = wide[row.worker_a], wide[row.worker_b]
    assert row.n_shared == len(wide)
    assert row.kappa == pytest.approx(cohen_kappa_score(a, b, labels=["cat", "dog", "fox"]))


def test_errors():
    with pytest.raises(InputError, match="same length; got 2 and 1"):
        cohen_kappa([1, 2], [1])
    with pytest.raises(ConfigError, match="'weights' parameter of cohen_kappa"):
        cohen_kappa([1], [1], weights="cubic")
    with pytest.raises(InputError, match=r"label\(s\) \[3\] that are not in classes"):
        cohen_kappa([1, 3], [1, 1], classes=[1, 2])
    with pytest.raises(InputError, match="count table of shape"):
        fleiss_kappa([1, 2, 3])
    with pytest.raises(InputError, match="non-negative integer counts"):
        fleiss_kappa([[1.5, 1], [2, 0]])
    with pytest.raises(ConfigError, match="'level' parameter of krippendorff_alpha"):
        krippendorff_alpha([[1, 2]], level="ratio")
    with pytest.raises(InputError, match="reliability matrix of shape"):
        krippendorff_alpha([1, 2, 3])
    with pytest.raises(InputError, match="level='interval' needs numeric labels"):
        krippendorff_alpha([["a", "b"], ["a", "a"]], level="interval")
    with pytest.raises(ConfigError, match="'min_shared' parameter"):
        pairwise_agreement(pd.DataFrame({"item": [1], "worker": [1], "label": [1]}), min_shared=0)
    assert np.isnan(fleiss_kappa([[1, 0], [0, 1]]))  # no item has two answers
    assert np.isnan(krippendorff_alpha([[1, np.nan], [np.nan, 1]]))
