"""scikit-learn's common estimator checks over EndModel and the calibrators.

Every check runs; the few expected to fail are listed below with the reason, and run in
strict mode: a listed check that starts passing fails the suite, so the list stays true.
"""

from __future__ import annotations

import inspect

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from labelmill.learn import EndModel, IsotonicCalibrator, TemperatureScaler

MLP = EndModel(
    head="mlp",
    hidden_size=16,
    n_epochs=30,
    batch_size=32,
    learning_rate=0.01,
    random_state=0,
    n_threads=1,
)

_MLP_FAILURES = {
    "check_sample_weight_equivalence_on_dense_data": (
        "the MLP head trains by mini-batch SGD on a shuffled order: repeating a row is not "
        "the same sequence of updates as doubling its weight (equal only in expectation)"
    ),
    "check_sample_weight_equivalence_on_sparse_data": (
        "as on dense data: mini-batch SGD, equal to repetition only in expectation"
    ),
}
# passes or fails with the BLAS build and load (checked below as a skip, not a strict xfail)
_MLP_FLAKY = {
    "check_methods_subset_invariance": (
        "the network runs in float32: a batch and its rows one by one may be summed in a "
        "different order by the BLAS kernels and then differ in the 7th digit (~1e-7)"
    ),
}

_NOT_PROBABILITIES = (
    "the calibrators map probability rows to probability rows; this check fits them on "
    "arbitrary real features whose rows do not sum to 1, which they refuse by design with "
    "InputError ('expects probability rows that sum to 1'); the same property is tested on "
    "probability rows in test_calibration.py"
)
_CALIBRATOR_FAILURES = {
    name: _NOT_PROBABILITIES
    for name in (
        "check_dict_unchanged",
        "check_dont_overwrite_parameters",
        "check_dtype_object",
        "check_estimators_dtypes",
        "check_estimators_fit_returns_self",
        "check_estimators_nan_inf",
        "check_estimators_overwrite_params",
        "check_estimators_pickle",
        "check_f_contiguous_array_estimator",
        "check_fit2d_1sample",
        "check_fit2d_predict1d",
        "check_fit_check_is_fitted",
        "check_fit_idempotent",
        "check_fit_score_takes_y",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_n_features_in",
        "check_n_features_in_after_fitting",
        "check_pipeline_consistency",
        "check_readonly_memmap_input",
        "check_transformer_data_not_an_array",
        "check_transformer_general",
        "check_transformer_preserve_dtypes",
    )
}


def expected_failures(estimator):
    if isinstance(estimator, TemperatureScaler | IsotonicCalibrator):
        return _CALIBRATOR_FAILURES
    if isinstance(estimator, EndModel) and estimator.head == "mlp":
        return _MLP_FAILURES
    return {}


# strict: a listed check that passes fails the suite (the option exists from 1.8 on)
_STRICT = (
    {"xfail_strict": True}
    if "xfail_strict" in inspect.signature(parametrize_with_checks).parameters
    else {}
)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
@parametrize_with_checks(
    [EndModel(), MLP, TemperatureScaler(), IsotonicCalibrator()],
    expected_failed_checks=expected_failures,
    **_STRICT,
)
def test_sklearn_compatible(estimator, check):
    name = getattr(check, "func", check).__name__
    if isinstance(estimator, EndModel) and estimator.head == "mlp" and name in _MLP_FLAKY:
        pytest.skip(_MLP_FLAKY[name])
    check(estimator)
