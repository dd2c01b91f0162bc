import numpy as np
import pandas as pd
import pytest


def make_answers(n_items=300, n_workers=15, per_item=5, classes=("cat", "dog", "fox"), seed=0):
    """Crowd answers with string ids and labels, known truth and worker skills."""
    rng = np.random.default_rng(seed)
    k = len(classes)
    truth = rng.integers(0, k, n_items)
    skill = rng.uniform(0.55, 0.95, n_workers)
    rows = []
    for i in range(n_items):
        for w in rng.choice(n_workers, per_item, replace=False):
            right = rng.random() < skill[w]
            label = truth[i] if right else (truth[i] + rng.integers(1, k)) % k
            rows.append((f"item{i}", f"w{w}", classes[label]))
    answers = pd.DataFrame(rows, columns=["item", "worker", "label"])
    gold = pd.Series([classes[t] for t in truth], index=[f"item{i}" for i in range(n_items)])
    return answers, gold, skill


@pytest.fixture
def answers():
    return make_answers()
