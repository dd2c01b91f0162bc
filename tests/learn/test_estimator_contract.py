"""The estimator contract (STYLE.md) over every learner of labelmill.learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from labelmill.exceptions import NotFittedError
from labelmill.learn import EndModel, IsotonicCalibrator, TemperatureScaler

RNG = np.random.default_rng(11)
X = RNG.normal(size=(60, 4))
Y = (X[:, 0] + 0.3 * RNG.normal(size=60) > 0).astype(int)
P = np.column_stack([1 / (1 + np.exp(3 * X[:, 0])), 1 - 1 / (1 + np.exp(3 * X[:, 0]))])

MODELS = [
    EndModel(),
    EndModel(head="mlp", hidden_size=8, n_epochs=3, random_state=0, n_threads=1),
]
CALIBRATORS = [TemperatureScaler(), IsotonicCalibrator()]


@pytest.mark.parametrize("est", MODELS, ids=lambda e: e.head)
def test_end_model_contract(est):
    est2 = clone(est)
    assert est2.get_params() == est.get_params()
    with pytest.raises(NotFittedError, match="not fitted yet"):
        est2.predict_proba(X)
    assert est2.fit(X, Y) is est2
    proba = est2.predict_proba(X)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    assert est2.predict(X).shape == (60,)
    again = clone(est).fit(X, Y).predict_proba(X)
    np.testing.assert_array_equal(proba, again)
    assert not hasattr(clone(est), "classes_")  # __init__ learns nothing


@pytest.mark.parametrize("cal", CALIBRATORS, ids=lambda c: type(c).__name__)
def test_calibrator_contract(cal):
    cal2 = clone(cal)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        cal2.transform(P)
    assert cal2.fit(P, Y) is cal2
    out = cal2.transform(P)
    np.testing.assert_allclose(out.sum(1), 1.0)
    np.testing.assert_array_equal(out, cal2.predict_proba(P))
    np.testing.assert_array_equal(out, clone(cal).fit(P, Y).transform(P))
