from __future__ import annotations

import json

import pytest

from labelmill.exceptions import InputError
from labelmill.quality import GuaranteeState
from labelmill.quality._guarantee_state import injection_level


def test_injections_add_up_to_the_budget():
    for offset in (1, 2, 5):
        total = sum(injection_level(j, delta=0.05, offset=offset) for j in range(1, 200_000))
        assert total == pytest.approx(0.05, rel=1e-3) and total <= 0.05
    assert injection_level(1, delta=0.05, offset=1) == pytest.approx(0.025)
    assert injection_level(1, delta=0.05, offset=3) == pytest.approx(0.0125)


def test_round_trip_through_json():
    s = GuaranteeState(
        target_accuracy=0.95,
        confidence=0.95,
        round=4,
        n_injections=2,
        alpha_injected=0.033,
        injected_at=150,
        shares=[0.5, 1.0],
        n_reference=1000,
        carry=[0.01, 0.002],
        node=1,
        threshold=0.83,
        n_auto=700,
        lower_bound=0.951,
        n_audit_above=120,
        n_wrong_above=1,
        design_cutoff=0.6,
        history=[{"round": 4, "node": 1}],
    )
    back = GuaranteeState.from_dict(json.loads(json.dumps(s.to_dict())))
    assert back == s
    assert back.alpha_held == pytest.approx(0.012)
    assert back.alpha_spent == pytest.approx(0.021)


def test_from_dict_errors():
    with pytest.raises(
        InputError,
        match=r"expects the dict written by GuaranteeState.to_dict\. "
        r"Got list instead",
    ):
        GuaranteeState.from_dict([])
    with pytest.raises(InputError, match=r"expects a state of version 1\. Got version 7"):
        GuaranteeState.from_dict({"version": 7})
    data = GuaranteeState().to_dict()
    del data["carry"]
    with pytest.raises(InputError, match=r"expects every field of the state\. Got no 'carry'"):
        GuaranteeState.from_dict(data)
    data = GuaranteeState().to_dict()
    data["carry"] = ["x"]
    with pytest.raises(InputError, match=r"'carry' and 'shares' as lists of numbers"):
        GuaranteeState.from_dict(data)
