"""labelmill report: the datasheet of a project, at any stage."""

from __future__ import annotations

import json

import pytest

from labelmill import Project
from labelmill.exceptions import ConfigError


def test_report_of_an_empty_project_says_what_is_missing(tmp_path):
    project = Project.init(tmp_path / "p", classes=["a", "b"])
    html, json_path = project.report(tmp_path / "r.html")
    data = json.loads(json_path.read_text())
    assert data["dataset"]["n_items"] == 0 and data["rounds"] == []
    assert data["audit"] is None
    assert "Missing" in html.read_text()
    project.close()


def test_report_after_rounds_with_an_audit(tmp_path, make_project):
    project, truth = make_project(tmp_path, n=160)
    for entry in project.next_items(30, user="ann"):
        project.add_answer(entry.item_id, truth[entry.item_id], user="ann", queue=entry.mode)
    project.run_round()
    for entry in project.next_items(40, user="ann", queue="audit"):
        project.add_answer(entry.item_id, truth[entry.item_id], user="ann", queue="audit")
    project.run_round()
    project.save_settings(datasheet={"intended_uses": "training a spam filter"})
    _, json_path = project.report(tmp_path / "r.html")
    data = json.loads(json_path.read_text())
    assert [r["round_id"] for r in data["rounds"]] == [1, 2]
    assert data["audit"]["n_audited"] == data["rounds"][1]["n_audit"] > 0
    assert data["uses"]["intended_uses"] == "training a spam filter"
    assert data["provenance"]["by_status"]["human"] > 0
    project.close()


def test_datasheet_settings_are_checked():
    from labelmill.settings import ProjectSettings

    with pytest.raises(ConfigError, match=r"'datasheet' has unknown field\(s\) \['motto'\]"):
        ProjectSettings(datasheet={"motto": "x"})
    with pytest.raises(ConfigError, match="'datasheet' must map each field to text"):
        ProjectSettings(datasheet={"license": 3})
