"""Validity over whole projects: no round may auto-accept a set below target.

Each synthetic project has a pool of items with a fixed difficulty and a fixed "luck"
(so an item that is wrong in one round tends to stay wrong: rounds are correlated, as in
real projects that reuse their audit). Each round, people answer a batch: a blind audit
batch, drawn by the key order of the design in force, and a review batch of the least
confident items that are not auto-accepted (the decisions feed back into what is
reviewed, hence into the next model). The next model improves with the reviewed items and
its scores move by fresh noise. Items are right with a probability that depends on the
round's score: in the ``near_target`` scenario it is just below the 95% target across the
confident band, so every acceptance that reaches into the band is a violation; in the
``benign`` scenario the confident items are clearly above target.

The project-level error is the share of projects in which *any* round auto-accepted a set
whose true accuracy is below target. It must be at most ``delta = 1 - confidence``, up to
the simulation's own binomial error; today's per-round policy must fail the same check (it
does: about 12% of the projects), and the new policy must still certify benign projects.
The uniform audit design (the default) runs 1,000 projects; the region design, whose
strata move with the model, runs 300.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import binom

from labelmill.quality import AuditRecords, GuaranteePolicy, Population, ThresholdPolicy

TARGET, CONFIDENCE = 0.95, 0.95
DELTA = 1.0 - CONFIDENCE
N_PROJECTS = 1000
N_ITEMS, N_ROUNDS, N_AUDIT, N_REVIEW = 1200, 8, 40, 25
# Violations allowed: the 99.9% quantile of Binomial(N_PROJECTS, DELTA). A valid policy
# exceeds it with probability <= 0.1%; a policy at twice the allowed rate exceeds it
# almost surely (its mean, 100, is 5 standard deviations above the quantile, 71).
MAX_VIOLATIONS = int(binom.ppf(0.999, N_PROJECTS, DELTA))


def _project(
    seed: int, policy: str, scenario: str, outside_weight: float = 1.0
) -> tuple[bool, float]:
    """Run one project; return (some round accepted a set below target, last auto share)."""
    rng = np.random.default_rng(seed)
    difficulty = rng.uniform(size=N_ITEMS)
    luck = rng.uniform(size=N_ITEMS)
    keys = rng.uniform(size=N_ITEMS)
    weights = np.ones(N_ITEMS)
    reviewed = np.zeros(N_ITEMS, bool)
    audited = np.zeros(N_ITEMS, bool)
    auto = np.zeros(N_ITEMS, bool)
    scores = np.zeros(N_ITEMS)
    guarantee = GuaranteePolicy(TARGET, CONFIDENCE, outside_weight=outside_weight)
    state = None
    violated = False
    for r in range(N_ROUNDS):
        open_items = np.flatnonzero(~(reviewed | audited))
        draw = open_items[np.argsort(keys[open_items] / weights[open_items])[:N_AUDIT]]
        audited[draw] = True
        pool = np.flatnonzero(~(reviewed | audited | auto))
        order = np.argsort(scores[pool]) if r else rng.permutation(pool.size)
        reviewed[pool[order[:N_REVIEW]]] = True
        quality = 1.0 + reviewed.sum() / 150.0
        noise = rng.normal(scale=0.1, size=N_ITEMS)
        scores = np.clip(1.0 - 0.5 * difficulty**quality + noise, 0.5, 0.9999)
        if scenario == "near_target":
            p_right = np.where(scores >= 0.97, 0.97, np.where(scores >= 0.85, 0.948, scores))
        else:
            p_right = np.where(scores >= 0.8, 0.998, scores)
        right = luck < p_right
        a, pop = np.flatnonzero(audited), np.flatnonzero(~(reviewed | audited))
        auto = np.zeros(N_ITEMS, bool)
        if policy == "per_round":
            t = ThresholdPolicy(TARGET, CONFIDENCE).choose(
                scores[a], right[a], population_scores=scores[pop]
            )
            if t.threshold is not None:
                auto[pop] = scores[pop] >= t.threshold
        else:
            d = guarantee.decide(
                AuditRecords(scores=scores[a], correct=right[a], keys=keys[a], weights=weights[a]),
                Population(
                    scores=scores[pop],
                    keys=keys[pop],
                    weights=weights[pop],
                    reviewed_scores=scores[reviewed],
                ),
                state,
            )
            state = d.state
            auto[pop] = d.auto
            weights = guarantee.audit_design(scores, keys, state).weights
        if auto.any() and right[auto].mean() < TARGET:
            violated = True
    return violated, float(auto.mean())


def test_no_round_of_a_project_breaks_the_target():
    violations = sum(_project(seed, "project", "near_target")[0] for seed in range(N_PROJECTS))
    assert violations <= MAX_VIOLATIONS, f"{violations} of {N_PROJECTS} projects"


def test_todays_per_round_policy_fails_the_same_check():
    violations = sum(_project(seed, "per_round", "near_target")[0] for seed in range(N_PROJECTS))
    assert violations > MAX_VIOLATIONS, f"only {violations} of {N_PROJECTS} projects"


def test_the_region_design_keeps_the_guarantee():
    n = 300
    violations = sum(
        _project(seed, "project", "near_target", outside_weight=0.3)[0] for seed in range(n)
    )
    assert violations <= int(binom.ppf(0.999, n, DELTA)), f"{violations} of {n} projects"


def test_benign_projects_are_certified():
    """The checks above must not pass only because nothing is ever accepted."""
    n = 200
    results = [_project(seed, "project", "benign") for seed in range(n)]
    assert sum(v for v, _ in results) <= int(binom.ppf(0.999, n, DELTA))
    assert np.mean([share > 0 for _, share in results]) > 0.5
    assert np.median([share for _, share in results]) > 0.2
