"""ProjectSettings: every key typed, its default written once, checked on open and save."""

from __future__ import annotations

import pytest
import yaml

from labelmill import Project
from labelmill.exceptions import ConfigError
from labelmill.settings import STRATEGY_NAMES, ProjectSettings


def test_defaults_and_replace_leave_the_original_alone():
    s = ProjectSettings()
    assert (s.target_accuracy, s.confidence, s.audit_fraction, s.batch_size) == (
        0.95,
        0.95,
        0.3,
        50,
    )
    t = s.replace(target_accuracy=0.99, strategy=None)
    assert t.target_accuracy == 0.99 and s.target_accuracy == 0.95
    assert t.changes_from(s) == {"target_accuracy": (0.95, 0.99)}
    assert s.replace() is s


def test_settings_are_frozen():
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        ProjectSettings().seed = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"target_accuracy": 1.5}, r"'target_accuracy' must be a number in \(0, 1\)\. Got 1.5"),
        ({"confidence": True}, r"'confidence' must be a number in \(0, 1\)\. Got True"),
        ({"audit_fraction": 0}, r"'audit_fraction' must be a number in \(0, 1\)\. Got 0"),
        ({"seed": -1}, r"'seed' must be a non-negative integer\. Got -1"),
        ({"batch_size": 0}, r"'batch_size' must be a positive integer\. Got 0"),
        ({"overlap": 2.5}, r"'overlap' must be a positive integer\. Got 2.5"),
        ({"strategy": "psychic"}, r"'strategy' must be one of auto, random.*Got 'psychic'"),
        ({"featurizer": [1]}, r"'featurizer' must be a mapping of option names"),
        ({"hidden_columns": "truth"}, r"'hidden_columns' must be a list of column names"),
        ({"feature_cache": ""}, r"'feature_cache' must be a folder path"),
        ({"batchsize": 10}, r"'batchsize' is not a setting of labelmill; the settings are: "),
    ],
)
def test_bad_settings_say_which_and_what(values, message):
    with pytest.raises(ConfigError, match=message):
        ProjectSettings.from_dict(values)
    if "batchsize" not in values:
        with pytest.raises(ConfigError, match=message):
            ProjectSettings(**values)


def test_settings_that_are_not_a_mapping():
    with pytest.raises(ConfigError, match="The settings must be a mapping"):
        ProjectSettings.from_dict([1, 2])  # type: ignore[arg-type]


def test_strategy_names_match_the_registry():
    from labelmill.active import STRATEGIES
    from labelmill.enums import Strategy

    assert set(STRATEGY_NAMES) == set(STRATEGIES) | {"auto"} == {s.value for s in Strategy}


def test_open_checks_the_yaml_and_names_the_file(tmp_path):
    project = Project.init(tmp_path / "p", classes=["a", "b"])
    project.close()
    config = tmp_path / "p" / "labelmill.yaml"
    data = yaml.safe_load(config.read_text())
    data["settings"]["batch_size"] = "fifty"
    config.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=r"labelmill.yaml: The setting 'batch_size' must be"):
        Project.open(tmp_path / "p")


def test_save_settings_writes_only_checked_values(tmp_path):
    project = Project.init(tmp_path / "p", classes=["a", "b"])
    assert project.save_settings(target_accuracy=0.99) == {"target_accuracy": (0.95, 0.99)}
    with pytest.raises(ConfigError, match="'confidence' must be a number"):
        project.save_settings(confidence=2)
    project.close()
    reopened = Project.open(tmp_path / "p")
    assert reopened.settings.target_accuracy == 0.99
    assert reopened.settings.confidence == 0.95
    reopened.close()


def test_run_target_override_sizes_the_audit_in_the_queue(tmp_path):
    """After a round run at 0.99, the review queue asks for the audit sample 0.99 needs
    (298 at 0.99/0.95), not the 59 of 0.95 (the bug: the queue read the old target)."""
    import pandas as pd

    from labelmill.quality import required_audit_size

    project = Project.init(tmp_path / "p", classes=["a", "b"])
    texts = [f"alpha item {i}" if i % 2 else f"beta item {i}" for i in range(400)]
    project.import_items(pd.DataFrame({"text": texts}))
    for entry in project.next_items(20, user="ann"):
        project.add_answer(entry.item_id, "a" if "alpha" in entry.payload else "b", user="ann")
    project.save_settings(featurizer={"kind": "hashing", "n_features": 64})
    project.run_round(target_accuracy=0.99)
    need = required_audit_size(target_accuracy=0.99, confidence=0.95)
    assert need > 200
    served = project.next_items(100, user="bob")
    assert sum(entry.mode == "audit" for entry in served) == 100  # still short of `need`
    project.close()
