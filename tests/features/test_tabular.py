from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labelmill.exceptions import ConfigError, InputError, NotFittedError
from labelmill.features import TabularFeaturizer, infer_column_types


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 40
    return pd.DataFrame(
        {
            "age": rng.integers(18, 80, n).astype(float),
            "income": [str(v) for v in rng.integers(1000, 9000, n)],  # numbers as text
            "city": rng.choice(["Oslo", "Rome", "Lima"], n).tolist(),
            "flag": rng.random(n) < 0.5,
        }
    ).assign(city=lambda d: d.city.where(np.arange(n) != 3, "Tiny"))


def test_infer_column_types(frame) -> None:
    assert infer_column_types(frame) == {
        "age": "numeric",
        "income": "numeric",
        "city": "categorical",
        "flag": "numeric",
    }


def test_fit_transform_scales_encodes_and_flags(frame) -> None:
    f = TabularFeaturizer().fit(frame)
    assert f.feature_names_ == [
        "age",
        "age=missing",
        "income",
        "income=missing",
        "city=Lima",
        "city=Oslo",
        "city=Rome",
        "city=other",
        "city=missing",
        "flag",
        "flag=missing",
    ]
    X = f.transform(frame)
    assert X.shape == (40, 11) and X.dtype == np.float32
    np.testing.assert_allclose(X[:, 0].mean(), 0.0, atol=1e-5)
    np.testing.assert_allclose(X[:, 0].std(), 1.0, atol=1e-4)
    assert X[3, 7] == 1.0  # the rare 'Tiny' went to other
    np.testing.assert_array_equal(X[:, 4:9].sum(axis=1), 1.0)


def test_missing_and_unseen_values(frame) -> None:
    f = TabularFeaturizer().fit(frame)
    rows = [
        {"age": None, "income": "", "city": "Paris", "flag": True},
        {"age": float("nan"), "city": None},  # income and flag absent
        {"age": "not a number", "income": 5000, "city": "Oslo", "flag": False},
    ]
    X = f.transform(rows)
    names = f.feature_names_
    col = {n: i for i, n in enumerate(names)}
    assert X[0, col["age=missing"]] == 1 and X[1, col["age=missing"]] == 1
    assert X[2, col["age=missing"]] == 1  # unparsable number is treated as missing
    assert X[0, col["city=other"]] == 1 and X[1, col["city=missing"]] == 1
    assert X[2, col["city=Oslo"]] == 1 and X[1, col["flag=missing"]] == 1
    median_scaled = (np.median(frame.age) - frame.age.mean()) / frame.age.std(ddof=0)
    np.testing.assert_allclose(X[0, col["age"]], median_scaled, rtol=1e-5)


def test_overrides_columns_and_versions(frame) -> None:
    f = TabularFeaturizer(
        column_types={"age": "categorical", "flag": "ignore"},
        columns=["age", "flag", "city"],
        min_frequency=1,
        max_categories=2,
    )
    f.fit(frame)
    assert f.column_types_ == {"age": "categorical", "flag": "ignore", "city": "categorical"}
    assert len(f.categories_["age"]) == 2 and len(f.categories_["city"]) == 2
    assert "flag" not in " ".join(f.feature_names_)
    assert f.transform(frame).shape == (40, 8)
    g = TabularFeaturizer().fit(frame)
    assert f.version != g.version == TabularFeaturizer().fit(frame).version
    assert g.version != TabularFeaturizer().fit(frame.iloc[:20]).version


def test_non_row_payloads_fail_per_item(frame) -> None:
    f = TabularFeaturizer().fit(frame)
    batch = f.transform_partial([{"age": 30}, "not a row"])
    assert batch.failed.tolist() == [False, True]
    assert "expected a row" in batch.reasons[1]


def test_errors(frame) -> None:
    with pytest.raises(NotFittedError, match="not fitted yet"):
        TabularFeaturizer().transform(frame)
    with pytest.raises(InputError, match="needs at least one row"):
        TabularFeaturizer().fit(["a", "b"])
    with pytest.raises(InputError, match=r"asked for columns \['zip'\]"):
        TabularFeaturizer(columns=["zip"]).fit(frame)
    with pytest.raises(ConfigError, match=r"names columns \['zip'\]"):
        TabularFeaturizer(column_types={"zip": "numeric"}).fit(frame)
    with pytest.raises(ConfigError, match="Got 'date' for column 'age'"):
        TabularFeaturizer(column_types={"age": "date"}).fit(frame)
    with pytest.raises(ConfigError, match="'min_frequency' parameter"):
        TabularFeaturizer(min_frequency=0).fit(frame)
