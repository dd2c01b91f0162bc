"""Snorkel's helpers: filter_unlabeled_dataframe, probs_to_preds, label buckets."""

import numpy as np
import pandas as pd
import pytest

from labelmill.exceptions import ConfigError, InputError
from labelmill.lf import (
    filter_unlabeled_dataframe,
    get_label_buckets,
    get_label_instances,
    preds_to_probs,
    probs_to_preds,
)


def test_filter_unlabeled_dataframe():
    L = np.array([[-1, -1], [0, -1], [-1, 1], [1, 1]])
    X = pd.DataFrame({"t": list("abcd")}, index=[10, 11, 12, 13])
    Xf, pf = filter_unlabeled_dataframe(X, np.arange(8).reshape(4, 2), L)
    assert Xf.index.tolist() == [11, 12, 13] and pf.tolist() == [[2, 3], [4, 5], [6, 7]]
    with pytest.raises(InputError, match="one row per item. Got 4 rows in X, 3 in y"):
        filter_unlabeled_dataframe(X, np.zeros(3), L)


def test_probs_to_preds_ties():
    P = np.array([[0.5, 0.5, 0.0], [0.1, 0.2, 0.7], [1 / 3] * 3, [0.4, 0.4, 0.2]])
    assert probs_to_preds(P, tie_break_policy="abstain").tolist() == [-1, 2, -1, -1]
    # Snorkel's deterministic hash of the row number: sha1("0") % 2 = 0, sha1("2") % 3 = 0,
    # sha1("3") % 2 = 1 (values checked against snorkel.utils.probs_to_preds 0.10.0)
    assert probs_to_preds(P).tolist() == [0, 2, 0, 1]
    true_random = probs_to_preds(P, tie_break_policy="true-random")
    assert true_random[1] == 2 and true_random[0] in (0, 1)
    with pytest.raises(ConfigError, match="'tie_break_policy' argument of probs_to_preds"):
        probs_to_preds(P, tie_break_policy="coin")
    with pytest.raises(InputError, match=r"n_classes >= 2\. Got shape \(3, 1\)"):
        probs_to_preds(np.ones((3, 1)))


def test_preds_to_probs():
    assert preds_to_probs(np.array([[2], [0]]), 3).tolist() == [[0, 0, 1], [1, 0, 0]]
    with pytest.raises(InputError, match="an abstain .* has no probability row"):
        preds_to_probs([-1, 0], 2)


def test_label_buckets():
    gold, pred = np.array([1, 1, 1, 0]), np.array([1, 1, -1, -1])
    b = get_label_buckets(gold, pred)
    assert {k: v.tolist() for k, v in b.items()} == {(1, 1): [0, 1], (1, -1): [2], (0, -1): [3]}
    x = pd.DataFrame({"t": list("abcd")})
    assert get_label_instances((1, -1), x, gold, pred)["t"].tolist() == ["c"]
    assert get_label_instances((0, 0), np.arange(4), gold, pred).tolist() == []
    with pytest.raises(InputError, match=r"one length\. Got lengths \[4, 3\]"):
        get_label_buckets(gold, pred[:3])
    with pytest.raises(InputError, match="at least one label array"):
        get_label_buckets()
