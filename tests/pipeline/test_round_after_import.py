"""A round after an import between rounds (issue 16, defect 7): the stopping rule compares
the same items, and provenance names only the sources that voted (defect 8)."""

import numpy as np
import pandas as pd

from labelmill import Project
from tests.pipeline.conftest import HAM, RULES_YAML, SPAM


def _frame(start, n, seed):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(start, start + n):
        base = SPAM if i % 2 == 0 else HAM
        rows.append({"id": f"m{i}", "text": f"{base[rng.integers(len(base))]} {i}"})
    return pd.DataFrame(rows)


def test_stopping_rule_agreement_is_by_item_after_an_import(tmp_path):
    project = Project.init(
        tmp_path / "p",
        classes=["spam", "ham"],
        settings={"featurizer": {"kind": "hashing", "n_features": 64}},
    )
    project.import_items(_frame(0, 2100, 0), id_column="id")
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES_YAML)
    project.register_rules(rules)
    project.run_round()
    # 400 more items: about 300 of them take places in the 2000-item stop set
    project.import_items(_frame(2100, 400, 1), id_column="id")
    second = project.run_round()
    assert second.stopping is not None and second.stopping.kappa is not None
    assert second.stopping.kappa > 0.95, second.stopping.reason
    project.close()
