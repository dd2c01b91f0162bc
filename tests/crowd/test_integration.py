"""The crowd sets in ../shared/data/crowd: aggregation against gold (skipped when absent)."""

import numpy as np
import pandas as pd
import pytest

from labelmill.crowd import aggregate, fleiss_kappa, worker_accuracy
from tests.conftest import shared_data

SETS = ["bluebirds", "rte", "dog", "web"]


def load(name):
    folder = shared_data("crowd", name)
    return pd.read_csv(folder / "label.csv"), pd.read_csv(folder / "truth.csv")


def accuracy(out, truth):
    got = out.set_index("item")["label"].reindex(truth["item"]).to_numpy()
    return float(np.mean(got == truth["truth"].to_numpy()))


@pytest.mark.parametrize("name", SETS)
def test_default_beats_majority_vote(name):
    answers, truth = load(name)
    auto = accuracy(aggregate(answers), truth)
    mv = accuracy(aggregate(answers, method="majority"), truth)
    assert auto >= mv + 0.005


def test_worker_accuracy_on_gold_and_agreement():
    answers, truth = load("rte")
    acc = worker_accuracy(answers, truth.set_index("item")["truth"])
    assert (acc["n_checked"] == acc["n_answers"]).all()  # rte has gold for every item
    assert ((acc["ci_low"] <= acc["accuracy"]) & (acc["accuracy"] <= acc["ci_high"])).all()
    assert 0.2 < fleiss_kappa(answers) < 0.6
