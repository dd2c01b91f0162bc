from __future__ import annotations

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone

from labelmill.exceptions import ConfigError, InputError, NotFittedError
from labelmill.learn import (
    IsotonicCalibrator,
    TemperatureScaler,
    calibration_report,
    expected_calibration_error,
)


def test_ece_known_values():
    proba = np.array([[0.9, 0.1], [0.9, 0.1], [0.2, 0.8], [0.2, 0.8]])
    assert expected_calibration_error([0, 1, 1, 1], proba, n_bins=10) == pytest.approx(0.3)
    perfect = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert expected_calibration_error([0, 1], perfect) == 0.0
    assert expected_calibration_error([1, 0], perfect) == 1.0


@pytest.mark.parametrize("calibrator", [TemperatureScaler(), IsotonicCalibrator()])
def test_calibration_lowers_ece_on_held_out_items(calibrator, overconfident_model):
    y_fit, p_fit = overconfident_model(seed=0)
    y_test, p_test = overconfident_model(seed=1)
    calibrator.fit(p_fit, y_fit)
    after = calibrator.transform(p_test)
    rep = calibration_report(y_test, p_test, after)
    assert rep.ece_before > 0.08
    assert rep.ece_after < rep.ece_before / 2
    assert rep.nll_after < rep.nll_before
    # the predicted class never changes
    np.testing.assert_array_equal(after.argmax(1), p_test.argmax(1))
    np.testing.assert_allclose(after.sum(1), 1.0)


def test_temperature_recovers_the_sharpening_factor(overconfident_model):
    y, p = overconfident_model(seed=2, n=20000)
    assert TemperatureScaler().fit(p, y).temperature_ == pytest.approx(3.0, rel=0.1)


def test_binary_vector_input_is_p_of_class_one():
    p1 = np.array([0.9, 0.8, 0.3, 0.2])
    a = TemperatureScaler().fit(p1, [1, 0, 0, 1]).transform(p1)
    assert a.shape == (4, 2)


def test_isotonic_keeps_argmax_even_when_it_would_flip():
    p = np.array([[0.5, 0.4, 0.1]] * 10 + [[0.1, 0.1, 0.8]] * 10)
    y = np.array([2] * 10 + [2] * 10)  # top class of the first rows is always wrong
    out = IsotonicCalibrator().fit(p, y).transform(p)
    np.testing.assert_array_equal(out.argmax(1), p.argmax(1))
    assert out[0, 0] > out[0, 1]  # floored: the calibrated top stays on top
    assert out[0, 0] < 0.5  # but it did go down: the top class was always wrong


@pytest.mark.parametrize("cls", [TemperatureScaler, IsotonicCalibrator])
def test_calibrator_errors(cls):
    with pytest.raises(NotFittedError, match=rf"This {cls.__name__} instance is not fitted yet"):
        cls().transform(np.array([[0.5, 0.5]]))
    with pytest.raises(InputError, match=r"rows that sum to 1"):
        cls().fit(np.array([[0.5, 0.6]]), [0])
    with pytest.raises(InputError, match=r"shape \(n_items, n_classes\) with n_classes >= 2"):
        cls().fit(np.ones((2, 2, 2)), [0, 1])
    with pytest.raises(InputError, match=r"Negative values in data passed to .*apply softmax"):
        cls().fit(np.array([[1.5, -0.5]]), [0])
    with pytest.raises(InputError, match=r"non-negative finite probabilities\. Got NaN"):
        cls().fit(np.array([[np.nan, 0.5]]), [0])
    with pytest.raises(InputError, match=r"found 1 feature\(s\) \(shape=\(2, 1\)\)"):
        cls().fit(np.array([[1.0], [1.0]]), [0, 0])
    with pytest.raises(InputError, match=r"sparse input is not supported"):
        cls().fit(sp.csr_matrix(np.eye(2)), [0, 1])
    with pytest.raises(InputError, match=r"Complex data not supported"):
        cls().fit(np.eye(2) + 0j, [0, 1])
    with pytest.raises(InputError, match=r"requires y to be passed, but the target y is None"):
        cls().fit(np.eye(2))
    with pytest.raises(InputError, match=r"expects y_true of shape \(1,\)"):
        cls().fit(np.array([[0.5, 0.5]]), [0, 1])
    with pytest.raises(InputError, match=r"expects labels in 0\.\.1\. Got values from 0 to 2"):
        cls().fit(np.array([[0.5, 0.5], [0.2, 0.8]]), [0, 2])
    with pytest.raises(InputError, match=r"integer class labels in y_true"):
        cls().fit(np.array([[0.5, 0.5]]), ["a"])
    fitted = cls().fit(np.array([[0.6, 0.4], [0.3, 0.7]]), [0, 1])
    with pytest.raises(InputError, match=r"was fitted on 2 classes\. Got probabilities with 3"):
        fitted.transform(np.array([[0.2, 0.3, 0.5]]))


def test_temperature_bounds_validated():
    with pytest.raises(ConfigError, match=r"The 'bounds' parameter of TemperatureScaler"):
        TemperatureScaler(bounds=(2.0, 1.0)).fit(np.array([[0.5, 0.5]]), [0])


def test_ece_errors():
    with pytest.raises(ConfigError, match=r"The 'n_bins' parameter of expected_calibration_error"):
        expected_calibration_error([0], np.array([[0.5, 0.5]]), n_bins=0)
    with pytest.raises(
        InputError, match=r"calibration_report expects y_true of shape \(2,\).*Got \(1,\)"
    ):
        calibration_report([0], np.array([[0.5, 0.5]]), np.array([[0.5, 0.5], [0.5, 0.5]]))


@pytest.mark.parametrize("cls", [TemperatureScaler, IsotonicCalibrator])
def test_calibrators_are_sklearn_transformers(cls, overconfident_model):
    """What the common checks would test, on probability rows (see test_sklearn_checks)."""
    pd = pytest.importorskip("pandas")
    y, p = overconfident_model(seed=3, n=400)
    cal = cls().fit(p, y)
    assert cal.n_features_in_ == 3
    out = cal.transform(p)
    np.testing.assert_allclose(clone(cal).fit_transform(p, y), out)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(cal)).transform(p), out)
    np.testing.assert_array_equal(cal.fit(p, y).transform(p), out)  # idempotent
    np.testing.assert_allclose(cal.transform(p[:7]), out[:7])  # subset invariant
    np.testing.assert_allclose(cal.transform(p.astype(np.float32)), out, atol=1e-5)
    frame = pd.DataFrame(p, columns=["ham", "spam", "eggs"])
    fitted = cls().set_output(transform="pandas").fit(frame, y)
    calibrated = fitted.transform(frame)
    assert isinstance(calibrated, pd.DataFrame)
    assert list(calibrated.columns) == ["ham", "spam", "eggs"]
    assert fitted.get_feature_names_out().tolist() == ["ham", "spam", "eggs"]
    with pytest.raises(InputError, match=r"feature names should match"):
        fitted.transform(frame[["spam", "ham", "eggs"]])


@pytest.mark.parametrize("cls", [TemperatureScaler, IsotonicCalibrator])
def test_former_argument_names(cls):
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError

    p = np.array([[0.6, 0.4], [0.3, 0.7], [0.8, 0.2]])
    y = np.array([0, 1, 1])
    want = cls().fit(p, y).transform(p)
    with pytest.warns(FutureWarning, match=rf"'y_true' argument of {cls.__name__}\.fit"):
        a = cls().fit(proba=p, y_true=y)
    np.testing.assert_array_equal(a.transform(p), want)
    with pytest.warns(FutureWarning, match=r"'proba' argument .*fit is deprecated"):
        cls().fit(proba=p, y=y)
    with pytest.raises(ConfigError, match=r"got both y and y_true"):
        cls().fit(p, y, y_true=y)
    with pytest.raises(ConfigError, match=r"unexpected argument 'labels'"):
        cls().fit(p, labels=y)
    with pytest.raises(SklearnNotFittedError, match="not fitted yet"):
        cls().predict_proba(p)
    with pytest.raises(InputError, match=r"fit needs X, the held-out probabilities"):
        cls().fit(y=y)
