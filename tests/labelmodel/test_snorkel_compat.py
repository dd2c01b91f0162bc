"""A Snorkel notebook's label-model calls run unchanged with labelmill's imports.

The calls below are those of the Snorkel spam tutorial, with
``from snorkel.labeling.model import LabelModel, MajorityLabelVoter`` replaced by
``from labelmill.labelmodel import LabelModel, MajorityLabelVoter``.
"""

import logging

import numpy as np
import pytest

from labelmill.exceptions import ConfigError, InputError
from labelmill.labelmodel import LabelModel, MajorityLabelVoter


@pytest.fixture
def spam(make):
    L, y, _ = make(n=1200, m=10, k=2, seed=11, coverage=0.4, unipolar=True)
    return L[:1000], L[1000:], y[1000:]


def test_tutorial_calls(spam, caplog):
    L_train, L_dev, Y_dev = spam
    majority_model = MajorityLabelVoter()
    preds_train = majority_model.predict(L=L_train)
    assert preds_train.shape == (1000,)

    label_model = LabelModel(cardinality=2, verbose=True)
    with caplog.at_level(logging.INFO, logger="labelmill.labelmodel._label_model"):
        label_model.fit(L_train=L_train, n_epochs=500, log_freq=100, seed=123)
    assert "EM stopped after" in caplog.text

    majority_acc = majority_model.score(L=L_dev, Y=Y_dev, tie_break_policy="random")["accuracy"]
    label_model_acc = label_model.score(L=L_dev, Y=Y_dev, tie_break_policy="random")["accuracy"]
    assert 0.5 < majority_acc <= 1 and 0.5 < label_model_acc <= 1

    probs_train = label_model.predict_proba(L=L_train)
    np.testing.assert_allclose(probs_train.sum(axis=1), 1.0)
    preds, probs = label_model.predict(L_dev, return_probs=True, tie_break_policy="abstain")
    assert set(np.unique(preds)) <= {-1, 0, 1}
    np.testing.assert_allclose(probs, label_model.predict_proba(L_dev))
    assert label_model.get_weights().shape == (10,)


def test_fit_options_accepted_and_ignored(spam):
    L_train, _, _ = spam
    plain = LabelModel(cardinality=2, random_state=0).fit(L_train).predict_proba(L_train)
    sgd = LabelModel(cardinality=2, random_state=0).fit(
        L_train=L_train,
        n_epochs=100,
        lr=0.01,
        l2=0.1,
        optimizer="adam",
        optimizer_config={},
        lr_scheduler="constant",
        lr_scheduler_config={},
        prec_init=0.7,
        log_freq=10,
        mu_eps=None,
        progress_bar=False,
    )
    np.testing.assert_allclose(sgd.predict_proba(L_train), plain)


def test_seed_is_the_random_state_when_none_is_set(make):
    L, _, _ = make(n=3000, m=6, seed=12)
    a = LabelModel(max_fit_items=500).fit(L_train=L, seed=7).source_accuracies()
    b = LabelModel(max_fit_items=500, random_state=7).fit(L).source_accuracies()
    np.testing.assert_array_equal(a, b)


def test_y_dev_and_class_balance_set_the_class_balance(spam):
    L_train, _, Y_dev = spam
    from_dev = LabelModel(cardinality=2).fit(L_train=L_train, Y_dev=Y_dev)
    np.testing.assert_allclose(from_dev.class_prior_, np.bincount(Y_dev) / len(Y_dev))
    fixed = LabelModel(cardinality=2).fit(L_train=L_train, Y_dev=Y_dev, class_balance=[0.3, 0.7])
    np.testing.assert_allclose(fixed.class_prior_, [0.3, 0.7])


def test_score_metrics_and_abstain_filtering():
    L = np.array([[0, 0], [1, 1], [0, 1], [-1, -1]])
    Y = np.array([0, 1, 1, 0])
    scores = MajorityLabelVoter().score(
        L, Y, tie_break_policy="abstain", metrics=["accuracy", "coverage", "f1", "f1_macro"]
    )
    assert scores == {"accuracy": 1.0, "coverage": 0.5, "f1": 1.0, "f1_macro": 1.0}
    assert set(MajorityLabelVoter().score(L, Y)) == {"accuracy"}
    with pytest.raises(ConfigError, match=r"unknown metric\(s\) \['auc'\]"):
        MajorityLabelVoter().score(L, Y, metrics=["auc"])
    with pytest.raises(ConfigError, match="'tie_break_policy' must be one of"):
        MajorityLabelVoter().predict(L, tie_break_policy="coin")
    with pytest.raises(InputError, match="one entry per row of L"):
        MajorityLabelVoter().score(L, Y[:2])


def test_tie_break_policies():
    L = np.array([[0, 1]] * 200 + [[-1, -1]] * 200)
    mv = MajorityLabelVoter(class_prior=[0.8, 0.2]).fit(L)
    assert set(mv.predict(L).tolist()) == {0}  # prior: the larger class
    balance = mv.predict(L, tie_break_policy="balance")
    assert 0.65 < np.mean(balance == 0) < 0.95  # follows the 0.8 / 0.2 balance
    random = mv.predict(L[:200], tie_break_policy="random")
    assert 0.3 < random.mean() < 0.7
    assert (mv.predict(L, tie_break_policy="abstain") == -1).all()
    assert set(mv.predict(L[:50], tie_break_policy="true-random").tolist()) <= {0, 1}


def test_fit_errors(spam):
    L_train, _, _ = spam
    with pytest.raises(ConfigError, match=r"unknown keyword argument\(s\) \['epochs'\]"):
        LabelModel().fit(L_train=L_train, epochs=5)
    with pytest.raises(InputError, match="pass L .or Snorkel's L_train., not both"):
        LabelModel().fit(L_train, L_train=L_train)
    with pytest.raises(InputError, match="not both and not neither"):
        LabelModel().fit()
    with pytest.raises(InputError, match="Y_dev .* non-empty 1-D array of class indices"):
        LabelModel(cardinality=2).fit(L_train=L_train, Y_dev=["a", "b"])
    with pytest.raises(InputError, match=r"Y_dev .* class indices 0..1"):
        LabelModel(cardinality=2).fit(L_train=L_train, Y_dev=[0, 5])
    with pytest.raises(InputError, match=r"no example of class\(es\) \[1\]"):
        LabelModel(cardinality=2).fit(L_train=L_train, Y_dev=[0, 0])
    with pytest.raises(ConfigError, match="'class_prior' .* must sum to 1"):
        LabelModel(cardinality=2).fit(L_train=L_train, class_balance=[0.5, 0.6])
