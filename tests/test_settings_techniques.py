"""ProjectSettings.techniques: defaults, partial updates, and errors that say what and why."""

from __future__ import annotations

import pytest

from labelmill.exceptions import ConfigError
from labelmill.settings import TECHNIQUES, ProjectSettings, augment_available


def test_defaults_and_partial_updates():
    s = ProjectSettings()
    assert s.techniques == TECHNIQUES
    assert set(TECHNIQUES) == {
        "self_training",
        "label_spreading",
        "ensemble",
        "audit_model",
        "augment",
        "zero_shot",
    }
    t = s.replace(techniques={"ensemble": "auto"})
    assert t.techniques == {**TECHNIQUES, "ensemble": "auto"}
    assert t.changes_from(s) == {"techniques": (TECHNIQUES, t.techniques)}
    u = t.replace(techniques={"self_training": "on"})
    assert (u.techniques["ensemble"], u.techniques["self_training"]) == ("auto", "on")
    # from labelmill.yaml a partial mapping keeps the other defaults
    v = ProjectSettings.from_dict({"techniques": {"label_spreading": "on"}})
    assert v.techniques == {**TECHNIQUES, "label_spreading": "on"}
    assert ProjectSettings.from_dict(v.to_dict()) == v


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("on", r"'techniques' must be a mapping of technique names \(self_training, "),
        ({"self_train": "on"}, r"has unknown technique\(s\) \['self_train'\]; the techniques "),
        ({"ensemble": "yes"}, r"must set 'ensemble' to one of off, on, auto, not 'yes'"),
        ({"ensemble": True}, r"must set 'ensemble' to one of off, on, auto, not True"),
    ],
)
def test_bad_techniques_say_which_and_what(value, message):
    with pytest.raises(ConfigError, match=message):
        ProjectSettings(techniques=value)
    with pytest.raises(ConfigError, match=r"The setting 'techniques' .*Got .* instead"):
        ProjectSettings.from_dict({"techniques": value})


@pytest.mark.skipif(augment_available(), reason="labelmill.augment is installed")
def test_augment_on_without_the_package_is_an_error():
    with pytest.raises(ConfigError, match=r"augment=on, but labelmill.augment is not available"):
        ProjectSettings(techniques={"augment": "on"})
    assert ProjectSettings(techniques={"augment": "auto"}).techniques["augment"] == "auto"
