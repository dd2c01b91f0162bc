from __future__ import annotations

import numpy as np
import pytest

from labelmill.exceptions import ConfigError, InputError
from labelmill.quality import design_audit
from labelmill.quality._audit_design import locate_audit_sample, region_cutoff


def test_sample_is_the_prefix_of_each_stratum_below_its_first_open_item():
    audit_keys = np.array([0.05, 0.10, 0.50, 0.02, 0.30])
    audit_w = np.array([1.0, 1.0, 1.0, 0.25, 0.25])
    pop_keys = np.array([0.20, 0.90, 0.04, 0.60])
    pop_w = np.array([1.0, 1.0, 0.25, 0.25])
    s = locate_audit_sample(audit_keys, audit_w, pop_keys, pop_w)
    assert s.weights.tolist() == [1.0, 0.25]
    assert s.frontiers.tolist() == [0.20, 0.04]
    # 0.50 (weight 1) and 0.30 (weight 0.25) lie above their stratum's first open item
    assert s.in_sample.tolist() == [True, True, False, True, False]
    assert s.audit_stratum.tolist() == [0, 0, 0, 1, 1]
    assert s.population_stratum.tolist() == [0, 0, 1, 1]


def test_a_stratum_with_nothing_left_keeps_all_its_audited_items():
    s = locate_audit_sample(np.array([0.7, 0.9]), np.ones(2), np.array([]), np.array([]))
    assert s.frontiers.tolist() == [1.0] and s.in_sample.all()


def test_more_than_two_weights_is_an_error():
    with pytest.raises(InputError, match=r"at most two audit strata .* Got 3 weights"):
        locate_audit_sample(
            np.array([0.1]), np.array([1.0]), np.array([0.2, 0.3]), np.array([0.5, 0.25])
        )


def test_design_weights_and_queue_keys():
    d = design_audit([0.99, 0.6, 0.95], [0.5, 0.5, 0.1], cutoff=0.9, outside_weight=0.25)
    assert d.weights.tolist() == [1.0, 0.25, 1.0]
    assert d.queue_keys.tolist() == [0.5, 2.0, 0.1]
    assert d.cutoff == 0.9 and d.outside_weight == 0.25
    uniform = design_audit([0.99, 0.6], [0.5, 0.3], cutoff=None)
    assert uniform.weights.tolist() == [1.0, 1.0] and uniform.outside_weight == 1.0
    assert uniform.queue_keys.tolist() == [0.5, 0.3]


def test_region_cutoff():
    scores = np.linspace(0.5, 1.0, 101)
    assert region_cutoff(scores, 0.3) == pytest.approx(0.85)
    assert region_cutoff(scores, 1.0) is None
    assert region_cutoff(np.array([]), 0.3) is None


@pytest.mark.parametrize("bad", [0.0, 1.5, -1, "0.3", True])
def test_outside_weight_must_be_in_unit_interval(bad):
    with pytest.raises(
        ConfigError,
        match=r"The 'outside_weight' parameter of design_audit must be a float in \(0, 1\]",
    ):
        design_audit([0.9], [0.5], cutoff=0.5, outside_weight=bad)


def test_design_input_errors():
    with pytest.raises(InputError, match=r"'keys' as the items' random keys in \[0, 1\)"):
        design_audit([0.9], [1.2], cutoff=None)
    with pytest.raises(InputError, match=r"'keys' as a 1-D array of finite floats of shape \(2,\)"):
        design_audit([0.9, 0.8], [0.5], cutoff=None)
    with pytest.raises(InputError, match=r"design_audit expects 'scores' as numbers"):
        design_audit(["high"], [0.5], cutoff=None)
