from __future__ import annotations

import json

import numpy as np
import pytest

from labelmill.active import DEFAULT_ARMS, StrategyBandit, importance_weighted_accuracy
from labelmill.exceptions import ConfigError, InputError


def _simulate(bandit, gains, rounds, seed, noise=0.01):
    """Play ``rounds`` batches; arm a's batch raises audit accuracy by gains[a] + noise."""
    rng = np.random.default_rng(seed)
    acc = 0.5
    bandit.observe(acc)
    for _ in range(rounds):
        arm = bandit.choose(rng)
        acc = float(np.clip(acc + gains[arm] + rng.normal(0, noise), 0, 1))
        bandit.observe(acc)
    return bandit


def test_bandit_shifts_to_the_winning_arm():
    gains = {a: 0.0 for a in DEFAULT_ARMS}
    gains["hybrid"] = 0.01
    wins, pulls = 0, 0
    for seed in range(10):
        b = _simulate(StrategyBandit(), gains, rounds=40, seed=seed, noise=0.004)
        rep = b.report()
        wins += rep["favoured"] == "hybrid"
        pulls += rep["pulls"]["hybrid"]
    assert wins >= 8  # 8 arms: chance would be ~1 in 10
    assert pulls / 10 > 2 * 40 / 8  # more than twice its share under uniform play


def test_bandit_with_shrinking_gains_still_finds_winner():
    # all arms improve the model, by less every round (as in real active learning);
    # margin improves it most
    b = StrategyBandit(arms=["random", "margin", "kcenter"])
    rng = np.random.default_rng(0)
    acc = 0.5
    b.observe(acc)
    for t in range(30):
        arm = b.choose(rng)
        base = 0.05 / (1 + t)
        acc = min(1.0, acc + base * (2.0 if arm == "margin" else 1.0) + rng.normal(0, 0.001))
        b.observe(acc)
    p = b.probabilities()
    assert p["margin"] > 0.6 and b.report()["favoured"] == "margin"


def test_state_round_trips_through_json():
    b = _simulate(StrategyBandit(arms=["random", "margin"]), {"random": 0, "margin": 0.02}, 5, 0)
    b.choose(3)  # leave a pending pull
    state = json.loads(json.dumps(b.to_dict()))
    c = StrategyBandit.from_dict(state)
    assert c.to_dict() == b.to_dict()
    assert c.last_choice == b.last_choice
    # the restored bandit continues exactly as the original
    assert c.observe(0.9) == b.observe(0.9)
    assert c.choose(7) == b.choose(7)


def test_report_explains():
    b = StrategyBandit(arms=["random", "margin"])
    rep = b.report()
    assert "no batch has been rewarded yet" in rep["reason"]
    assert rep["probabilities"] == {"random": 0.5, "margin": 0.5}
    b.update("margin", 0.05, probability=0.5)
    rep = b.report()
    assert rep["favoured"] == "margin"
    assert rep["pulls"] == {"random": 0, "margin": 1}
    assert rep["mean_gain"] == {"random": None, "margin": 0.05}
    assert rep["reason"].startswith("margin is favoured")


def test_observe_credits_only_pending_arm():
    b = StrategyBandit(arms=["random", "margin"])
    assert b.observe(0.5) is None  # nothing pending
    assert b.observe(0.6) is None  # still nothing drawn
    arm = b.choose(0)
    assert b.last_choice == arm
    assert b.observe(0.7) == pytest.approx(0.5)
    assert b.last_choice is None
    assert sum(b.pulls_) == 1


def test_observe_with_explicit_previous_accuracy():
    b = StrategyBandit(arms=["random", "margin"])
    b.observe(0.5)
    arm = b.choose(0)
    # the audit sample grew: old model re-scored on it gives 0.8, new model 0.9
    assert b.observe(0.9, previous_accuracy=0.8) == pytest.approx(0.5)
    assert b.report()["mean_gain"][arm] == pytest.approx(0.1)
    with pytest.raises(ConfigError, match="'previous_accuracy' passed to StrategyBandit"):
        b.observe(0.9, previous_accuracy=2)


def test_choose_respects_available_arms():
    b = StrategyBandit()
    for seed in range(20):
        assert b.choose(seed, available=["random", "margin"]) in {"random", "margin"}
    p = b.probabilities(available=["margin", "random"])
    assert set(p) == {"random", "margin"} and sum(p.values()) == pytest.approx(1)


def test_exploration_floor():
    b = StrategyBandit(arms=["a", "b"], exploration=0.2)
    for _ in range(50):
        b.update("a", 0.1)
    assert b.probabilities()["b"] >= 0.1 - 1e-12


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(arms=[]), "non-empty list of distinct"),
        (dict(arms=["margin", "margin"]), "non-empty list of distinct"),
        (dict(arms=["auto", "margin"]), "cannot include 'auto'"),
        (dict(exploration=0.0), "'exploration' parameter"),
        (dict(exploration=True), "'exploration' parameter"),
        (dict(learning_rate=-1.0), "'learning_rate' parameter"),
    ],
)
def test_bandit_parameter_errors(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        StrategyBandit(**kwargs)


def test_bandit_call_errors():
    b = StrategyBandit(arms=["random", "margin"])
    with pytest.raises(ConfigError, match="'audit_accuracy' passed to StrategyBandit.observe"):
        b.observe(1.5)
    with pytest.raises(ConfigError, match="Unknown arm 'x'"):
        b.update("x", 0.1)
    with pytest.raises(ConfigError, match="'gain' passed to StrategyBandit.update"):
        b.update("margin", 2.0)
    with pytest.raises(ConfigError, match="None of the bandit's arms"):
        b.choose(0, available=["kcenter"])
    with pytest.raises(ConfigError, match="'random_state' parameter of StrategyBandit.choose"):
        b.choose("seed")


def test_from_dict_errors():
    with pytest.raises(InputError, match="expects a state dict of version 1"):
        StrategyBandit.from_dict({"version": 99})
    with pytest.raises(InputError, match="expects a state dict"):
        StrategyBandit.from_dict([1, 2])  # type: ignore[arg-type]
    state = StrategyBandit(arms=["a", "b"]).to_dict()
    state["pulls"] = [1]
    with pytest.raises(InputError, match="damaged state"):
        StrategyBandit.from_dict(state)
    del state["log_weights"]
    with pytest.raises(InputError, match="damaged state"):
        StrategyBandit.from_dict(state)


def test_importance_weighted_accuracy():
    assert importance_weighted_accuracy([0, 1, 1, 0], [0, 1, 0, 0]) == 0.75
    assert importance_weighted_accuracy([0, 1], [0, 0], sample_weight=[3, 1]) == 0.75
    with pytest.raises(InputError, match="same non-zero length"):
        importance_weighted_accuracy([0, 1], [0])
    with pytest.raises(InputError, match="same non-zero length"):
        importance_weighted_accuracy([], [])
    with pytest.raises(InputError, match="'sample_weight' of importance_weighted_accuracy"):
        importance_weighted_accuracy([0, 1], [0, 1], sample_weight=[-1, 1])
