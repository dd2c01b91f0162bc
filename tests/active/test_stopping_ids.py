"""StoppingRule compares rounds item by item when given ids (issue 16, defect 7)."""

import json

import numpy as np
import pytest

from labelmill.active import StoppingRule
from labelmill.exceptions import InputError


def test_ids_pair_predictions_of_the_same_items_across_added_items():
    rng = np.random.default_rng(0)
    ids = rng.permutation(1000).astype(float)
    preds = rng.integers(0, 3, size=1000)
    rule = StoppingRule(patience=2)
    rule.update(preds, ids=ids)
    # 100 new items come first in the stop set: by position nothing lines up any more
    new_ids = np.concatenate([np.arange(1000, 1100, dtype=float), ids[:900]])
    new_preds = np.concatenate([rng.integers(0, 3, size=100), preds[:900]])
    decision = rule.update(new_preds, ids=new_ids)
    assert decision.kappa == pytest.approx(1.0)
    assert decision.stable_rounds == 1
    by_position = StoppingRule(patience=2)
    by_position.update(preds)
    assert by_position.update(new_preds).kappa < 0.2  # what the round used to compute


def test_ids_survive_the_json_state_and_old_states_start_afresh():
    rule = StoppingRule(patience=1)
    rule.update([0, 1, 1], ids=[0.25, 0.5, 0.75])
    clone = StoppingRule.from_dict(json.loads(json.dumps(rule.to_dict())))
    assert clone.update([1, 0], ids=[0.75, 0.25]).kappa == pytest.approx(1.0)
    old = rule.to_dict()
    del old["previous_ids"]  # a state written before ids existed
    fresh = StoppingRule.from_dict(old).update([0, 1, 1], ids=[0.25, 0.5, 0.75])
    assert fresh.kappa is None and "comparing afresh" in fresh.reason


def test_no_common_items_means_no_comparison():
    rule = StoppingRule(patience=1)
    rule.update([0, 1], ids=["a", "b"])
    decision = rule.update([0, 1], ids=["c", "d"])
    assert decision.kappa is None and decision.stable_rounds == 0 and not decision.stop


def test_ids_must_match_the_predictions():
    with pytest.raises(InputError, match="got 2 ids for 3 predictions"):
        StoppingRule().update([0, 1, 1], ids=["a", "b"])
