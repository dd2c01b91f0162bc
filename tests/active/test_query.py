from __future__ import annotations

import json

import numpy as np
import pytest

from labelmill.active import MarginSampling, StrategyBandit, query
from labelmill.exceptions import ConfigError, InputError


def test_query_by_name_never_returns_labeled(pool):
    p, x, _ = pool
    labeled = np.zeros(len(p), bool)
    labeled[::3] = True
    for strategy in ["random", "margin", "kcenter", "hybrid", "cluster", MarginSampling()]:
        idx = query(p, x, labeled_mask=labeled, batch_size=15, strategy=strategy, random_state=0)
        assert len(idx) == 15 and not labeled[idx].any()


def test_query_auto_updates_bandit_and_round_trips(pool):
    p, x, _ = pool
    labeled = np.zeros(len(p), bool)
    state = None
    used = []
    for rnd in range(6):
        bandit = StrategyBandit() if state is None else StrategyBandit.from_dict(state)
        idx = query(
            p,
            x,
            labeled_mask=labeled,
            batch_size=10,
            random_state=rnd,
            bandit=bandit,
            audit_accuracy=0.5 + 0.05 * rnd,
            committee=[p[:, ::-1]],
        )
        assert not labeled[idx].any()
        labeled[idx] = True
        used.append(bandit.last_choice)
        state = json.loads(json.dumps(bandit.to_dict()))
    assert sum(state["pulls"]) == 5  # the 6th pick is pending until the next accuracy
    assert all(u is not None for u in used)


def test_auto_skips_arms_without_inputs(pool):
    p, _, _ = pool
    labeled = np.zeros(len(p), bool)
    bandit = StrategyBandit()
    for seed in range(30):
        query(p, None, labeled_mask=labeled, batch_size=5, random_state=seed, bandit=bandit)
        assert bandit.last_choice in {"random", "least_confidence", "margin", "entropy"}


def test_auto_without_bandit_works(pool):
    p, x, _ = pool
    idx = query(p, x, labeled_mask=np.zeros(len(p), bool), batch_size=5, random_state=0)
    assert len(idx) == 5


def test_query_errors(pool):
    p, x, _ = pool
    ok = np.zeros(len(p), bool)
    with pytest.raises(InputError, match="'labeled_mask' argument of query must be a boolean"):
        query(p, x, labeled_mask=np.zeros(len(p)), batch_size=5)
    with pytest.raises(InputError, match="'labeled_mask' argument of query must be a boolean"):
        query(p, x, labeled_mask=ok[:10], batch_size=5)
    with pytest.raises(ConfigError, match="Unknown query strategy 'best'"):
        query(p, x, labeled_mask=ok, batch_size=5, strategy="best")
    with pytest.raises(ConfigError, match="'strategy' argument of query"):
        query(p, x, labeled_mask=ok, batch_size=5, strategy=3)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="'bandit' argument of query must be a StrategyBandit"):
        query(p, x, labeled_mask=ok, batch_size=5, bandit={"version": 1})  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"'proba' argument of \w+\.select must be a 2-D"):
        query(p[:, :1], x, labeled_mask=ok, batch_size=5)


def test_all_labeled_returns_empty(pool):
    p, x, _ = pool
    idx = query(p, x, labeled_mask=np.ones(len(p), bool), batch_size=5, strategy="margin")
    assert idx.shape == (0,)
