"""labelmill check: label issues and consistency checks over a project, and sending the
flagged items to review."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from labelmill import Project
from labelmill.cli.main import cli
from labelmill.exceptions import InputError


def _answer_with_mistakes(project, truth, n=40, wrong=4):
    mistakes = []
    for entry in project.next_items(n, user="ann"):
        label = truth[entry.item_id]
        if entry.mode == "review" and len(mistakes) < wrong:
            label = "ham" if label == "spam" else "spam"
            mistakes.append(entry.item_id)
        project.add_answer(entry.item_id, label, user="ann", queue=entry.mode)
    return mistakes


def test_check_flags_wrong_answers_and_sends_them_back(tmp_path, make_project):
    project, truth = make_project(tmp_path, n=200)
    mistakes = _answer_with_mistakes(project, truth)
    project.run_round()
    run = project.check()
    flagged = set(run.queue["item_id"])
    assert flagged and flagged <= set(truth)
    assert len(flagged & set(mistakes)) >= 2
    assert set(run.results) >= {"label_issues", "conflicting_duplicates", "class_balance"}
    sent = project.send_to_review(run)
    assert sent["sent"] == len([i for i in flagged if run.status[i] != "gold"])
    project.add_user("carl", "password1", role="annotator")  # annotators get no audit items
    served = [e.item_id for e in project.next_items(sent["sent"], user="carl")]
    assert set(served) <= flagged  # flagged items come first
    project.close()


def test_check_of_an_empty_project(tmp_path):
    project = Project.init(tmp_path / "p", classes=["a", "b"])
    with pytest.raises(InputError, match="no items to check; import some first"):
        project.check()
    project.close()


def test_check_command(tmp_path, make_project):
    project, truth = make_project(tmp_path, n=120)
    _answer_with_mistakes(project, truth, n=30, wrong=3)
    project.run_round()
    project.close()
    result = CliRunner().invoke(cli, ["check", str(tmp_path / "p"), "--limit", "5"])
    assert result.exit_code == 0, result.output
    assert "Labels that are probably wrong" in result.output
    assert "items flagged" in result.output
