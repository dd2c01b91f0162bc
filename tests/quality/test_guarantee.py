from __future__ import annotations

import json
import re

import numpy as np
import pytest

from labelmill.exceptions import ConfigError, InputError
from labelmill.quality import (
    AuditRecords,
    GuaranteePolicy,
    GuaranteeState,
    Population,
)


def _pool(n=3000, audit_share=0.08, seed=0, accuracy=lambda s: np.where(s > 0.65, 0.995, 0.6)):
    """Scores, correctness, keys; the audit holds the items with the smallest keys."""
    rng = np.random.default_rng(seed)
    scores = rng.uniform(0.5, 1.0, n)
    right = rng.uniform(size=n) < accuracy(scores)
    keys = rng.uniform(size=n)
    audited = keys < audit_share
    return scores, right, keys, audited


def _decide(policy, scores, right, keys, audited, state=None, **pop):
    a = AuditRecords(scores=scores[audited], correct=right[audited], keys=keys[audited])
    p = Population(scores=scores[~audited], keys=keys[~audited], **pop)
    return policy.decide(a, p, state)


def test_first_decision_certifies_the_accurate_items_and_says_so():
    scores, right, keys, audited = _pool()
    d = _decide(GuaranteePolicy(), scores, right, keys, audited)
    assert d.threshold is not None and 0.62 <= d.threshold <= 0.95
    assert d.n_auto == int(d.auto.sum()) > 0
    np.testing.assert_array_equal(d.auto, scores[~audited] >= d.threshold)
    assert right[~audited][d.auto].mean() >= 0.95  # the truth, which the policy never saw
    assert d.lower_bound >= 0.95 and d.injected == pytest.approx(0.025)
    assert d.alpha_injected == pytest.approx(0.025) and d.state.n_injections == 1
    assert d.n_sample == d.n_audit == int(audited.sum())
    assert d.change.kind == "first" and d.change.text.startswith("First auto-acceptance: ")
    statement = d.statement()
    assert statement.startswith(
        "With probability at least 95%, no round of this project auto-accepts labels that "
        "are less than 95.0% accurate (error budget 0.05: 0.025 used so far"
    )
    assert f"This round auto-accepts {d.n_auto:,} labels (confidence >= " in statement
    chosen = [s for s in d.steps if s.threshold == d.threshold and s.outcome == "passed"]
    assert chosen and chosen[-1].p_value <= chosen[-1].level
    assert "largest set certified" in d.reason


def test_reviewing_items_does_not_pull_a_certified_set_down():
    """People review items between two rounds: with their scores passed as
    ``reviewed_scores`` the sets keep their cutoffs; ranked among the items to route alone,
    the sets would reach down into less confident items (which withdrew certified sets
    late in benchmark runs, once people had reviewed most items)."""
    scores, right, keys, audited = _pool()
    policy = GuaranteePolicy()
    first = _decide(policy, scores, right, keys, audited)
    rng = np.random.default_rng(1)
    reviewed = ~audited & (rng.uniform(size=audited.size) < 0.5)
    kept = ~reviewed
    args = (scores[kept], right[kept], keys[kept], audited[kept], first.state)
    held = _decide(policy, *args, reviewed_scores=scores[reviewed])
    drifted = _decide(policy, *args)
    assert [s.threshold for s in held.steps] == [s.threshold for s in first.steps]
    assert held.threshold is not None
    pairs = zip(drifted.steps[:-1], first.steps[:-1], strict=True)
    assert all(d.threshold < f.threshold for d, f in pairs)


def test_after_a_spent_test_the_next_waits_for_growth_and_says_so():
    """Demo: 294 audited items, and the round said the next test needed about 234 ("it holds
    294. Audit more items."): fresh error also waits for the sample to grow by a quarter."""
    scores, right, keys, audited = _pool(accuracy=lambda s: np.full(s.shape, 0.85))
    policy = GuaranteePolicy()
    first = _decide(policy, scores, right, keys, audited)
    assert first.threshold is None and first.injected > 0  # spent, failed
    again = _decide(policy, scores, right, keys, audited, first.state)
    n = first.n_sample
    grown = int(np.ceil(1.25 * n))
    assert again.injected == 0.0
    assert f"enters once the random audit sample holds about {grown} items" in again.reason
    assert again.n_more_audit == 1  # the queue is not asked for the growth (see _decide)
    assert f"the next test needs about {grown}" in again.change.text
    assert again.change.text.startswith("Nothing is auto-accepted yet")  # never was


def test_too_few_audit_answers_accept_nothing_and_say_how_many_more():
    scores, right, keys, audited = _pool(audit_share=0.02)  # about 60 audited items
    d = _decide(GuaranteePolicy(), scores, right, keys, audited)
    assert d.threshold is None and d.n_auto == 0 and not d.auto.any()
    assert d.injected == 0.0 and d.state.n_injections == 0
    assert d.change.kind == "none" and d.change.causes == ("too_few_audited",)
    assert d.n_more_audit == 144 - d.n_sample
    assert d.reason.startswith("too few audit answers to test")
    assert "This round auto-accepts nothing: too few audit answers" in d.statement()


def test_a_certified_set_keeps_half_its_fresh_level_for_the_next_round():
    scores, right, keys, _ = _pool(n=6000)
    policy = GuaranteePolicy()
    d1 = _decide(policy, scores, right, keys, keys < 0.05)
    node = d1.state.node
    assert d1.state.carry[node] == pytest.approx(0.5 * d1.level, rel=0.01)
    # a few more audit answers, all right: too few for fresh error (growth < 25%), so the
    # round re-tests with the levels it holds and keeps the set
    extra = (keys >= 0.05) & (keys < 0.055)
    right2 = np.where(extra, True, right)
    d2 = _decide(policy, scores, right2, keys, keys < 0.055, d1.state)
    assert d2.injected == 0.0 and d2.alpha_injected == d1.alpha_injected
    assert d2.threshold is not None and d2.threshold <= d1.threshold
    assert d2.change.kind in ("kept", "lowered")
    assert d2.alpha_spent <= d1.alpha_injected


def test_a_kept_set_is_explained():
    scores, right, keys, audited = _pool()
    policy = GuaranteePolicy(descend=0.0, keep=1.0)  # every level stays with its set
    d1 = _decide(policy, scores, right, keys, audited)
    d2 = _decide(policy, scores, right, keys, audited, d1.state)
    assert d2.threshold == d1.threshold and d2.change.kind == "kept"
    assert d2.change.text == (
        f"The threshold stays at {d1.threshold:.3g}; {d2.n_auto:,} items auto-accepted."
    )


def test_new_audit_errors_raise_the_threshold_and_explain_it():
    scores, right, keys, audited = _pool(n=6000, audit_share=0.1)
    policy = GuaranteePolicy()
    d1 = _decide(policy, scores, right, keys, audited, was_auto=np.zeros((~audited).sum(), bool))
    # the audit now finds many wrong labels just above the old threshold
    right2 = right.copy()
    band = audited & (scores >= d1.threshold) & (scores < d1.threshold + 0.05)
    right2[np.flatnonzero(band)[:15]] = False
    d2 = _decide(policy, scores, right2, keys, audited, d1.state, was_auto=d1.auto)
    assert d2.change.kind in ("raised", "withdrawn")
    assert d2.change.causes == ("audit_errors",)
    assert re.match(r"\d+ more audited items above 0\.\d+ were wrong \(", d2.change.text)
    assert d2.change.n_back_to_review == int((d1.auto & ~d2.auto).sum()) > 0
    assert d2.change.n_newly_auto == int((d2.auto & ~d1.auto).sum())
    assert f"{d2.change.n_back_to_review:,} items went back to review" in d2.change.text


def test_more_audit_answers_lower_the_threshold():
    policy = GuaranteePolicy()
    scores, right, keys, _ = _pool(
        n=6000, seed=2, accuracy=lambda s: np.where(s > 0.85, 0.999, np.where(s > 0.7, 0.985, 0.6))
    )
    d1 = _decide(policy, scores, right, keys, keys < 0.04)
    d2 = _decide(policy, scores, right, keys, keys < 0.15, d1.state)
    assert d1.threshold is not None and d2.threshold < d1.threshold
    assert d2.change.kind == "lowered" and "more_audit" in d2.change.causes
    assert d2.change.text.startswith(f"The threshold fell from {d1.threshold:.3g} to ")


def test_per_class_requires_every_class_to_meet_the_target():
    scores, right, keys, audited = _pool(
        n=10000, audit_share=0.1, accuracy=lambda s: np.where(s > 0.65, 0.999, 0.6)
    )
    rng = np.random.default_rng(5)
    classes = (rng.uniform(size=scores.size) < 0.1).astype(np.int64)  # class 1: a tenth
    right = np.where((classes == 1) & (scores > 0.65), rng.uniform(size=scores.size) < 0.9, right)
    a = AuditRecords(
        scores=scores[audited], correct=right[audited], keys=keys[audited], classes=classes[audited]
    )
    p = Population(scores=scores[~audited], keys=keys[~audited], classes=classes[~audited])
    overall = GuaranteePolicy().decide(a, p)
    by_class = GuaranteePolicy(per_class=True).decide(a, p)
    assert overall.threshold is not None  # about 99% right overall: certified
    assert by_class.threshold is None  # class 1 is 90% right: never certified
    true_class_1 = right[~audited][overall.auto & (classes[~audited] == 1)].mean()
    assert true_class_1 < 0.95


def test_state_survives_json_and_a_new_target_starts_a_new_budget():
    scores, right, keys, audited = _pool()
    d1 = _decide(GuaranteePolicy(), scores, right, keys, audited)
    saved = GuaranteeState.from_dict(json.loads(json.dumps(d1.state.to_dict())))
    d2 = _decide(GuaranteePolicy(), scores, right, keys, audited, saved)
    assert d2.state.round == 2 and d2.alpha_injected == d1.alpha_injected
    d3 = _decide(GuaranteePolicy(target_accuracy=0.9), scores, right, keys, audited, saved)
    assert d3.state.n_injections == 1 and d3.alpha_injected == pytest.approx(0.025)
    assert d3.state.target_accuracy == 0.9 and d3.state.round == 2


def test_region_design_sets_a_cutoff_and_weights():
    scores, right, keys, audited = _pool()
    policy = GuaranteePolicy(outside_weight=0.25, region_margin=0.2, min_region=0.5)
    d = _decide(policy, scores, right, keys, audited)
    assert d.state.design_cutoff is not None
    design = policy.audit_design(scores, keys, d.state)
    inside = scores >= d.state.design_cutoff
    assert np.all(design.weights[inside] == 1.0) and np.all(design.weights[~inside] == 0.25)
    np.testing.assert_allclose(design.queue_keys, keys / design.weights)
    # the strata are passed back next round: still a valid decision
    a = AuditRecords(
        scores=scores[audited],
        correct=right[audited],
        keys=keys[audited],
        weights=design.weights[audited],
    )
    p = Population(scores=scores[~audited], keys=keys[~audited], weights=design.weights[~audited])
    assert policy.decide(a, p, d.state).state.round == 2
    assert GuaranteePolicy().audit_design(scores, keys, d.state).weights.min() == 1.0


def test_n_more_audit_points_at_a_larger_set():
    scores, right, keys, audited = _pool(
        n=8000, audit_share=0.04, seed=4, accuracy=lambda s: np.where(s > 0.6, 0.995, 0.7)
    )
    d = _decide(GuaranteePolicy(), scores, right, keys, audited)
    if d.more_audit_threshold is not None:
        assert d.n_more_audit > 0
        assert d.threshold is None or d.more_audit_threshold < d.threshold


def test_repr():
    assert repr(GuaranteePolicy()).startswith(
        "GuaranteePolicy(target_accuracy=0.95, confidence=0.95, shares=None, per_class=False, "
        "descend="
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"target_accuracy": 1.2},
            r"The 'target_accuracy' parameter of GuaranteePolicy must be a float in \(0, 1\)\. "
            r"Got 1\.2",
        ),
        (
            {"confidence": 0},
            r"The 'confidence' parameter of GuaranteePolicy must be a float in \(0, 1\)\. Got 0",
        ),
        (
            {"per_class": "yes"},
            r"The 'per_class' parameter of GuaranteePolicy must be a bool\. Got 'yes'",
        ),
        (
            {"descend": 1.5},
            r"The 'descend' parameter of GuaranteePolicy must be a float in \[0, 1\]\. Got 1\.5",
        ),
        ({"keep": -0.1}, r"The 'keep' parameter of GuaranteePolicy must be a float in \[0, 1\]"),
        (
            {"min_growth": -1},
            r"The 'min_growth' parameter of GuaranteePolicy must be a non-negative float\. Got -1",
        ),
        (
            {"spending_offset": 0},
            r"The 'spending_offset' parameter of GuaranteePolicy must be a positive int\. Got 0",
        ),
        (
            {"outside_weight": 0},
            r"The 'outside_weight' parameter of GuaranteePolicy must be a float in \(0, 1\]",
        ),
        ({"region_margin": 2}, r"The 'region_margin' parameter of GuaranteePolicy"),
        ({"min_region": 0}, r"The 'min_region' parameter of GuaranteePolicy"),
        (
            {"shares": [0.5, 0.2]},
            r"The 'shares' parameter of GuaranteePolicy must be a non-empty, strictly increasing",
        ),
        ({"shares": "x"}, r"The 'shares' parameter of GuaranteePolicy"),
    ],
)
def test_parameter_errors(kwargs, message):
    scores, right, keys, audited = _pool(n=200)
    with pytest.raises(ConfigError, match=message):
        _decide(GuaranteePolicy(**kwargs), scores, right, keys, audited)


def test_input_errors():
    policy = GuaranteePolicy()
    ok_a = AuditRecords(scores=[0.9], correct=[True], keys=[0.1])
    ok_p = Population(scores=[0.8], keys=[0.5])
    owner = r"GuaranteePolicy\.decide expects"
    cases = [
        ((None, ok_p), rf"{owner} 'audit' as AuditRecords\. Got NoneType"),
        ((ok_a, [0.8]), rf"{owner} 'population' as a Population\. Got list"),
        (
            (AuditRecords([0.9, 0.8], [True], [0.1, 0.2]), ok_p),
            r"'correct' as a 1-D bool array of shape \(2,\)",
        ),
        (
            (AuditRecords([0.9], [True], [1.0]), ok_p),
            rf"{owner} 'audit.keys' as the items' random keys in \[0, 1\)",
        ),
        (
            (AuditRecords([0.9], [True], [0.1], weights=[0.0]), ok_p),
            rf"{owner} 'audit.weights' as design weights in \(0, 1\]",
        ),
        (
            (ok_a, Population([0.8], [0.5], weights=[1.0, 1.0])),
            r"'population.weights' as a 1-D array of finite floats of shape \(1,\)",
        ),
        (
            (ok_a, Population([np.nan], [0.5])),
            r"'population.scores' as a 1-D array of finite floats",
        ),
        (
            (ok_a, Population([0.8], [0.5], was_auto=[1])),
            r"'population.was_auto' as a bool array of shape \(1,\)",
        ),
        (
            (ok_a, Population([0.8], [0.5], reviewed_scores=[np.inf])),
            r"'population.reviewed_scores' as a 1-D array of finite floats",
        ),
        (
            (AuditRecords([0.9], [True], [0.1], classes=[-1]), ok_p),
            r"'audit.classes' as a 1-D array of non-negative class indices",
        ),
    ]
    for (a, p), message in cases:
        with pytest.raises(InputError, match=message):
            policy.decide(a, p)
    with pytest.raises(
        InputError, match=rf"{owner} 'state' as a GuaranteeState \(or None\)\. Got dict"
    ):
        policy.decide(ok_a, ok_p, {"round": 1})
    with pytest.raises(InputError, match=r"with per_class=True expects 'audit.classes'"):
        GuaranteePolicy(per_class=True).decide(ok_a, ok_p)
    with pytest.raises(
        InputError, match=r"audit_design expects 'state' as a GuaranteeState\. Got NoneType"
    ):
        policy.audit_design([0.9], [0.1], None)
    with pytest.raises(InputError, match=r"at most two audit strata"):
        policy.decide(
            AuditRecords([0.9], [True], [0.1], weights=[0.5]),
            Population([0.8, 0.7], [0.5, 0.6], weights=[1.0, 0.2]),
        )
