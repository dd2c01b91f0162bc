"""The round's learning and quality steps on real data (MNIST test set; skipped if absent)."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from labelmill.learn import EndModel, TemperatureScaler, calibration_report
from labelmill.quality import choose_threshold, estimate_accuracy_by_status, find_label_issues
from tests.conftest import shared_data


@pytest.fixture(scope="module")
def mnist():
    images = shared_data("mnist_test", "t10k-images-idx3-ubyte.gz")
    labels = shared_data("mnist_test", "t10k-labels-idx1-ubyte.gz")
    with gzip.open(images) as f:
        X = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(labels) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    # 4x4 average pooling keeps the test fast: 49 features
    X = X.reshape(-1, 7, 4, 7, 4).mean(axis=(2, 4)).reshape(-1, 49).astype(np.float32) / 255.0
    return X, y


def test_train_calibrate_and_certify(mnist):
    X, y = mnist
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(y))
    train, audit, rest = idx[:3000], idx[3000:3600], idx[3600:]
    # noisy "posteriors" for training: 20% of the mass on a wrong class
    Y = np.full((len(train), 10), 0.2 / 9)
    Y[np.arange(len(train)), y[train]] = 0.8
    model = EndModel(C=10.0).fit(X[train], Y)
    proba = model.predict_proba(X)
    assert np.mean(proba[rest].argmax(1) == y[rest]) > 0.8

    half = audit[:300]
    scaler = TemperatureScaler().fit(proba[half], y[half])
    calibrated = scaler.transform(proba)
    rep = calibration_report(y[rest], proba[rest], calibrated[rest])
    assert rep.ece_after < rep.ece_before

    conf = calibrated.max(1)
    correct = calibrated.argmax(1) == y
    test_audit = audit[300:]
    decision = choose_threshold(
        conf[test_audit], correct[test_audit], target_accuracy=0.95, population_scores=conf
    )
    assert decision.threshold is not None
    accepted = decision.accepts(conf[rest])
    assert 0.2 < accepted.mean() < 1.0
    assert correct[rest][accepted].mean() >= 0.95
    est = estimate_accuracy_by_status(conf[test_audit], correct[test_audit], decision.threshold)
    assert est["auto"].lower >= 0.9 and est["review"].accuracy < est["auto"].accuracy


def test_label_issues_on_real_data(mnist):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict

    X, y_true = mnist
    X, y_true = X[:3000], y_true[:3000]
    rng = np.random.default_rng(1)
    flip = rng.uniform(size=3000) < 0.1
    y = np.where(flip, (y_true + rng.integers(1, 10, 3000)) % 10, y_true)
    proba = cross_val_predict(
        LogisticRegression(C=10.0, max_iter=300), X, y, cv=3, method="predict_proba"
    )
    mask = find_label_issues(y, proba)
    assert flip[mask].mean() > 0.5 and mask[flip].mean() > 0.7
