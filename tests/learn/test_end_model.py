from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from labelmill.exceptions import ConfigError, InputError, NotFittedError
from labelmill.learn import EndModel, soft_cross_entropy


def test_logistic_head_matches_sklearn_on_hard_labels(blobs):
    X, y = blobs
    w = np.random.default_rng(0).uniform(0.2, 3.0, len(y))
    ours = EndModel(C=0.3, tol=1e-10, max_iter=2000).fit(X, y, sample_weight=w)
    ref = LogisticRegression(C=0.3, tol=1e-10, max_iter=2000).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-4)


def test_soft_labels_equal_expanded_weighted_rows(blobs):
    """Soft-label CE == hard labels expanded into k rows weighted by the posterior."""
    X, y = blobs
    rng = np.random.default_rng(1)
    Y = rng.dirichlet(np.ones(3), size=len(y)) * 0.5
    Y[np.arange(len(y)), y] += 0.5
    soft = EndModel(C=1.0, tol=1e-10, max_iter=2000).fit(X, Y)
    Xr = np.repeat(X, 3, axis=0)
    yr = np.tile(np.arange(3), len(y))
    ref = LogisticRegression(C=1.0, tol=1e-10, max_iter=2000).fit(Xr, yr, sample_weight=Y.ravel())
    np.testing.assert_allclose(soft.predict_proba(X), ref.predict_proba(X), atol=1e-4)


def test_soft_labels_learn_the_signal(blobs):
    X, y = blobs
    Y = np.full((len(y), 3), 0.15)
    Y[np.arange(len(y)), y] = 0.7
    model = EndModel().fit(X, Y)
    assert np.mean(model.predict(X) == y) > 0.9
    # soft targets give softer probabilities than hard ones
    hard = EndModel().fit(X, y)
    assert model.predict_proba(X).max(1).mean() < hard.predict_proba(X).max(1).mean()


def test_human_rows_outrank_rules_through_weight():
    X = np.array([[0.0], [0.0], [1.0], [1.0]])
    # the rules say class 1 at x=0 (wrong); one human says class 0 there
    Y = np.array([[0.2, 0.8], [1.0, 0.0], [0.1, 0.9], [0.1, 0.9]])
    light = EndModel(C=100.0).fit(X, Y, sample_weight=[1, 1, 1, 1])
    heavy = EndModel(C=100.0).fit(X, Y, sample_weight=[1, 10, 1, 1])
    assert light.predict_proba([[0.0]])[0, 0] < heavy.predict_proba([[0.0]])[0, 0]
    assert heavy.predict([[0.0]])[0] == 0


def test_absent_class_gets_a_column(blobs):
    X, y = blobs
    keep = y < 2
    model = EndModel(n_classes=4).fit(X[keep], y[keep])
    proba = model.predict_proba(X)
    assert proba.shape == (150, 4)
    assert model.classes_.tolist() == [0, 1, 2, 3]
    assert proba[:, 2:].max() < 0.05
    np.testing.assert_allclose(proba.sum(1), 1.0)


def test_float32_features_are_accepted(blobs):
    X, y = blobs
    a = EndModel().fit(X.astype(np.float32), y).predict_proba(X.astype(np.float32))
    b = EndModel().fit(X, y).predict_proba(X)
    np.testing.assert_allclose(a, b, atol=1e-3)


def test_mlp_head_learns_and_is_seeded(blobs):
    X, y = blobs
    kw = dict(head="mlp", hidden_size=16, n_epochs=15, batch_size=50, learning_rate=3e-2)
    a = EndModel(**kw, random_state=3, n_threads=1).fit(X, y)
    b = EndModel(**kw, random_state=3, n_threads=1).fit(X, y)
    c = EndModel(**kw, random_state=4, n_threads=1).fit(X, y)
    assert np.mean(a.predict(X) == y) > 0.9
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))
    assert a.decision_function(X).shape == (150, 3)


def test_mlp_restores_torch_threads(blobs):
    torch = pytest.importorskip("torch")
    X, y = blobs
    before = torch.get_num_threads()
    EndModel(head="mlp", hidden_size=4, n_epochs=1, n_threads=1, random_state=0).fit(X, y)
    assert torch.get_num_threads() == before


def test_soft_cross_entropy():
    assert soft_cross_entropy(np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]])) == pytest.approx(0)
    val = soft_cross_entropy(
        np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[0.5, 0.5], [0.0, 1.0]]), sample_weight=[1, 3]
    )
    assert val == pytest.approx(np.log(2) / 4)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        (
            {"head": "forest"},
            r"The 'head' parameter of EndModel must be one of 'logistic', 'mlp'\. "
            r"Got 'forest' instead\.",
        ),
        ({"C": 0}, r"The 'C' parameter of EndModel must be a positive number or None\. Got 0"),
        ({"max_iter": 1.5}, r"The 'max_iter' parameter of EndModel must be a positive int"),
        ({"tol": -1.0}, r"'tol' parameter of EndModel must be a positive number"),
        ({"hidden_size": 0}, r"'hidden_size' parameter of EndModel"),
        ({"n_epochs": True}, r"'n_epochs' parameter of EndModel"),
        ({"batch_size": None}, r"'batch_size' parameter of EndModel"),
        ({"learning_rate": "fast"}, r"'learning_rate' parameter of EndModel"),
        ({"alpha": -0.1}, r"The 'alpha' parameter of EndModel must be a non-negative float"),
        ({"n_threads": 0}, r"The 'n_threads' parameter of EndModel must be a positive int or None"),
        ({"n_classes": 1}, r"The 'n_classes' parameter of EndModel must be an int >= 2 or None"),
    ],
)
def test_bad_parameters_raise_config_error(blobs, params, match):
    X, y = blobs
    with pytest.raises(ConfigError, match=match):
        EndModel(**params).fit(X, y)


@pytest.mark.parametrize(
    ("X", "Y", "w", "match"),
    [
        (np.zeros(4), np.zeros(4, int), None, r"expects X as a 2-D array"),
        (np.zeros((0, 2)), np.zeros(0, int), None, r"at least one item in X\. Got 0 rows"),
        (np.array([["a", "b"]] * 2), np.array([0, 1]), None, r"expects numeric features in X"),
        (np.array([[np.nan, 1.0], [0.0, 1.0]]), np.array([0, 1]), None, r"finite features in X"),
        (np.zeros((3, 2)), np.zeros(4, int), None, r"expects y as hard labels of shape \(3,\)"),
        (np.zeros((3, 0)), np.zeros(3, int), None, r"found 0 feature\(s\) \(shape=\(3, 0\)\)"),
        (np.zeros((2, 2)) + 1j, np.array([0, 1]), None, r"Complex data not supported in X"),
        (np.zeros((2, 2)), np.array([0.5, 1.5]), None, r"Unknown label type: 'continuous'"),
        (np.zeros((2, 2)), np.array([0, "a"], dtype=object), None, r"Unknown label type"),
        (np.zeros((2, 2)), None, None, r"requires y to be passed, but the target y is None"),
        (np.zeros((2, 2)), np.array([[0.5, 0.6], [1, 0]]), None, r"Row 0 sums to 1\.1"),
        (np.zeros((2, 2)), np.array([[1.5, -0.5], [1, 0]]), None, r"non-negative finite"),
        (np.zeros((2, 2)), np.array([0, 1]), [1.0], r"sample_weight of shape \(2,\)"),
        (np.zeros((2, 2)), np.array([0, 1]), [1.0, -1.0], r"non-negative sample_weight"),
        (np.zeros((2, 2)), np.array([0, 0]), None, r"needs at least 2 classes"),
        (np.zeros((2, 2)), np.array(["a", "a"]), None, r"Got labels of one class only"),
    ],
)
def test_bad_inputs_raise_input_error(X, Y, w, match):
    with pytest.raises(InputError, match=match):
        EndModel().fit(X, Y, sample_weight=w)


def test_labels_beyond_n_classes_and_soft_width_mismatch():
    X = np.zeros((2, 2))
    with pytest.raises(InputError, match=r"Got -1 instead; drop unlabeled"):
        EndModel(n_classes=2).fit(X, np.array([0, -1]))
    with pytest.raises(InputError, match=r"integers 0\.\.k-1 when n_classes is given"):
        EndModel(n_classes=2).fit(X, np.array(["a", "b"]))
    with pytest.raises(InputError, match=r"hard labels in 0\.\.1 \(n_classes=2\)\. Got 2"):
        EndModel(n_classes=2).fit(X, np.array([0, 2]))
    with pytest.raises(InputError, match=r"soft labels with n_classes=3 columns\. Got 2"):
        EndModel(n_classes=3).fit(X, np.array([[1.0, 0.0], [0.0, 1.0]]))


def test_predict_checks(blobs):
    X, y = blobs
    with pytest.raises(
        NotFittedError, match=r"This EndModel instance is not fitted yet.*'predict'"
    ):
        EndModel().predict(X)
    model = EndModel().fit(X, y)
    with pytest.raises(
        InputError, match=r"X has 2 features, but EndModel is expecting 5 features as input"
    ):
        model.predict_proba(X[:, :2])
    with pytest.raises(InputError, match=r"Reshape your data"):
        model.predict(X[0])


# ------------------------------------------------------------ scikit-learn behaviour
def _binary(seed=0, n=120):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] + 0.8 * rng.normal(size=n) > 0).astype(int)
    return X, y


@pytest.mark.parametrize(
    "labels",
    [np.array(["ham", "spam"]), np.array([False, True]), np.array([1, 2]), np.array([-1, 1])],
    ids=["strings", "bools", "one-two", "minus-one-one"],
)
def test_any_label_set(labels):
    X, y = _binary()
    yl = labels[y]
    model = EndModel().fit(X, yl)
    assert model.classes_.tolist() == labels.tolist()
    assert model.predict_proba(X).shape == (120, 2)  # no phantom class
    np.testing.assert_array_equal(model.predict(X), labels[EndModel().fit(X, y).predict(X)])
    assert model.predict(X).dtype == labels.dtype


def test_binary_C_means_logistic_regression_C():
    X, y = _binary()
    for C in (0.05, 1.0):
        ours = EndModel(C=C, tol=1e-10, max_iter=2000).fit(X, y)
        ref = LogisticRegression(C=C, tol=1e-10, max_iter=2000).fit(X, y)
        np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-5)
        np.testing.assert_allclose(ours.decision_function(X), ref.decision_function(X), atol=1e-4)
    # C=None keeps the regularisation EndModel always had: 2.0 on two classes, 1.0 beyond
    default = EndModel(tol=1e-10, max_iter=2000).fit(X, y).predict_proba(X)
    ref2 = LogisticRegression(C=2.0, tol=1e-10, max_iter=2000).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(default, ref2, atol=1e-5)


def test_binary_decision_function_and_roc_auc_scoring():
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.model_selection import GridSearchCV, cross_val_score

    X, y = _binary()
    model = EndModel().fit(X, y)
    assert model.decision_function(X).shape == (120,)
    np.testing.assert_array_equal(model.decision_function(X) > 0, model.predict(X) == 1)
    auc = cross_val_score(EndModel(), X, y, scoring="roc_auc", cv=3)
    assert np.all(np.isfinite(auc)) and auc.mean() > 0.7
    grid = GridSearchCV(EndModel(), {"C": [0.01, 1.0]}, scoring="roc_auc", cv=3).fit(X, y)
    assert np.all(np.isfinite(grid.cv_results_["mean_test_score"]))
    cal = CalibratedClassifierCV(EndModel(), cv=3).fit(X, y)
    assert cal.predict_proba(X).shape == (120, 2)
    np.testing.assert_allclose(model.predict_log_proba(X), np.log(model.predict_proba(X)))


def test_sparse_text_pipeline():
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.pipeline import make_pipeline

    texts = ["win cash now", "free prize win", "see you at lunch", "lunch at noon?"] * 5
    labels = ["spam", "spam", "ham", "ham"] * 5
    pipe = make_pipeline(CountVectorizer(), EndModel(C=10.0)).fit(texts, labels)
    assert pipe.predict(["free cash", "lunch?"]).tolist() == ["spam", "ham"]
    mlp = make_pipeline(
        CountVectorizer(),
        EndModel(
            head="mlp",
            hidden_size=8,
            n_epochs=30,
            batch_size=4,
            learning_rate=0.05,
            random_state=0,
            n_threads=1,
        ),
    ).fit(texts, labels)
    assert mlp.predict(["free cash", "lunch?"]).tolist() == ["spam", "ham"]


def test_sparse_equals_dense():
    import scipy.sparse as sp

    X, y = _binary()
    X[X < 0.3] = 0.0
    dense = EndModel().fit(X, y)
    sparse = EndModel().fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.predict_proba(sp.csr_matrix(X)), dense.predict_proba(X))


def test_y_keyword_and_deprecated_Y(blobs):
    X, y = blobs
    a = EndModel().fit(X, y=y).predict_proba(X)
    with pytest.warns(FutureWarning, match=r"'Y' argument of EndModel\.fit is deprecated"):
        b = EndModel().fit(X, Y=y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ConfigError, match=r"got both y and Y"):
        EndModel().fit(X, y, Y=y)


def test_not_fitted_error_is_sklearn_and_labelmill(blobs):
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError

    X, _ = blobs
    for method in ("predict", "predict_proba", "decision_function", "predict_log_proba"):
        with pytest.raises(SklearnNotFittedError, match="not fitted yet"):
            getattr(EndModel(), method)(X)
        with pytest.raises(NotFittedError, match="not fitted yet"):
            getattr(EndModel(), method)(X)


def test_feature_names_in():
    pd = pytest.importorskip("pandas")
    X, y = _binary()
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = EndModel().fit(df, y)
    assert model.feature_names_in_.tolist() == ["a", "b", "c", "d"]
    assert model.n_features_in_ == 4
    with pytest.raises(InputError, match=r"feature names should match"):
        model.predict(df[["b", "a", "c", "d"]])
    assert not hasattr(EndModel().fit(X, y), "feature_names_in_")


def test_soft_labels_in_grid_search():
    from sklearn.model_selection import GridSearchCV

    X, y = _binary(n=200)
    Y = np.where(y[:, None] == np.arange(2), 0.8, 0.2)
    grid = GridSearchCV(EndModel(), {"C": [1e-4, 1.0]}, cv=3).fit(X, Y)
    scores = grid.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores))
    assert grid.best_params_ == {"C": 1.0}  # the tiny C predicts one class only
    model = EndModel().fit(X, Y)
    assert model.score(X, Y) == model.score(X, y)
    with pytest.raises(InputError, match=r"score got soft labels with 3 columns"):
        model.score(X, np.full((200, 3), 1 / 3))


# The labeling round calls EndModel(n_classes=k, random_state=seed, **options).fit(X, Y,
# sample_weight=w) with float32 X and soft Y. Predictions recorded before the
# scikit-learn changes (commit 8f6dddd); they must not move.
_ROUND_BEFORE = {
    (2, "logistic"): "000101110010111011101001010110111100111101001010000000011001100001010110"
    "100110110011000101101111011010011101111001000001",
    (2, "mlp"): "000101110010111011101100010110111100111101001010000000011001100001110110"
    "100110110011000101101111011010011001111001000001",
    (3, "logistic"): "221021201200020210122200222001112020020000021102000002110120200220221122"
    "210201200202221120111002212102000102210201022212",
    (3, "mlp"): "122021201200120210122200202001112010021000021102000002110120200220221122"
    "210201200202221120111002212102000102210201022212",
}
_ROUND_PROBA_ROW0 = {
    (2, "logistic"): [0.670392, 0.329608],
    (2, "mlp"): [0.604857, 0.395143],
    (3, "logistic"): [0.311824, 0.339621, 0.348555],
    (3, "mlp"): [0.253868, 0.465019, 0.281113],
}


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("head", ["logistic", "mlp"])
def test_round_call_predicts_as_before(k, head):
    rng = np.random.default_rng(5)
    centers = rng.normal(scale=1.5, size=(k, 6))
    y = rng.integers(0, k, 120)
    X = (centers[y] + rng.normal(size=(120, 6))).astype(np.float32)
    Y = rng.dirichlet(np.ones(k), size=120) * 0.6
    Y[np.arange(120), y] += 0.4
    w = np.where(rng.uniform(size=120) < 0.2, 5.0, 1.0)
    options = {}
    if head == "mlp":
        options = dict(head="mlp", hidden_size=8, n_epochs=20, batch_size=32,
                       learning_rate=1e-2, n_threads=1)  # fmt: skip
    model = EndModel(n_classes=k, random_state=7, **options).fit(X, Y, sample_weight=w)
    assert "".join(map(str, model.predict(X))) == _ROUND_BEFORE[(k, head)]
    np.testing.assert_allclose(model.predict_proba(X)[0], _ROUND_PROBA_ROW0[(k, head)], atol=5e-5)
