"""Rules you can manage (issue 16, defect 9): files that drop rules, rules of other files,
disable/enable/remove, rounds after the rule file changed, and the analysis against
people's answers."""

import pandas as pd
import pytest

from labelmill.exceptions import NotFoundError
from labelmill.quality import clopper_pearson_interval

FILE_A = """
rules:
  - name: says_free
    kind: keywords
    keywords: [free, cash, prize]
    label: spam
  - name: says_meeting
    kind: keywords
    keywords: [meeting, lunch, notes]
    label: ham
"""
ONLY_FREE = """
rules:
  - name: says_free
    kind: keywords
    keywords: [free, cash, prize]
    label: spam
"""
FILE_B = """
rules:
  - name: says_click
    kind: regex
    pattern: "click"
    label: spam
"""


def _states(project):
    return {r["name"]: r["state"] for r in project.rules_list(include_removed=True)}


def test_a_rule_dropped_from_its_file_is_disabled(make_project, tmp_path):
    project, _truth = make_project(tmp_path, n=40)
    path = tmp_path / "rules.yaml"
    path.write_text(FILE_A)
    assert dict(project.register_rules(path)) == {"says_free": "added", "says_meeting": "added"}
    path.write_text(ONLY_FREE)
    outcome = project.register_rules(path)
    assert dict(outcome) == {"says_free": "unchanged", "says_meeting": "disabled"}
    assert _states(project) == {"says_free": "active", "says_meeting": "disabled"}
    # new items and a round: the disabled rule is not applied, nothing fails
    project.add_answer("m1", "ham", user="ada")  # a second class to learn from
    project.import_items(
        pd.DataFrame({"id": ["x1"], "text": ["lunch meeting"], "truth": ["ham"]}),
        id_column="id",
        meta_columns=["truth"],
    )
    project.run_round()
    votes = project.item("x1")["votes"]
    assert votes == []


def test_rules_of_other_files_stay_active_unless_replaced(make_project, tmp_path):
    project, _truth = make_project(tmp_path, n=40)
    (tmp_path / "a.yaml").write_text(FILE_A)
    (tmp_path / "b.yaml").write_text(FILE_B)
    project.register_rules(tmp_path / "a.yaml")
    outcome = project.register_rules(tmp_path / "b.yaml")
    assert dict(outcome) == {"says_click": "added"}
    assert outcome.still_active == ["says_free", "says_meeting"]
    outcome = project.register_rules(tmp_path / "b.yaml", replace=True)
    assert dict(outcome) == {
        "says_click": "unchanged",
        "says_free": "disabled",
        "says_meeting": "disabled",
    }
    assert outcome.still_active == []
    assert project.register_rules(tmp_path / "a.yaml")["says_free"] == "enabled"


def test_a_round_after_the_rule_file_changed_uses_the_registered_rule(make_project, tmp_path):
    """Declarative rules are rebuilt from what was registered, not reloaded from the file."""
    project, _truth = make_project(tmp_path, n=40)
    path = tmp_path / "rules.yaml"
    path.write_text(FILE_A)
    project.register_rules(path)
    path.write_text(FILE_A.replace("prize]", "prize, bonus]"))  # edited, not registered
    project.import_items(
        pd.DataFrame({"id": ["x1"], "text": ["free lunch"], "truth": ["spam"]}),
        id_column="id",
        meta_columns=["truth"],
    )
    result = project.run_round()  # used to fail: "version ... is no longer in rules.yaml"
    assert result.status == "done"
    sources = sorted(v["source"] for v in project.item("x1")["votes"])
    assert sources == ["rule:says_free", "rule:says_meeting"]


def test_disable_enable_remove(make_project, tmp_path):
    project, _truth = make_project(tmp_path, n=40)
    path = tmp_path / "rules.yaml"
    path.write_text(FILE_A)
    project.register_rules(path)
    project.add_answer("m1", "ham", user="ada")  # a second class without says_meeting
    version = project.disable_rule("says_meeting")
    assert _states(project)["says_meeting"] == "disabled"
    assert project.disable_rule("says_meeting") == version  # again: nothing changes
    assert "says_meeting" not in project.run_round().versions.rules
    assert project.enable_rule("says_meeting") == version
    votes = {r["name"]: r["votes"] for r in project.rules_list()}
    kept = project.remove_rule("says_free")
    assert kept == votes["says_free"] > 0  # the votes stay as history
    assert [r["name"] for r in project.rules_list()] == ["says_meeting"]
    assert _states(project)["says_free"] == "removed"
    with pytest.raises(NotFoundError, match=r"No rule named 'nope'.*the rules are: says_meeting"):
        project.disable_rule("nope")
    with pytest.raises(NotFoundError, match="No rule named 'says_free'"):
        project.enable_rule("says_free")
    assert project.register_rules(path)["says_free"] == "enabled"
    assert _states(project)["says_free"] == "active"


def test_analysis_against_peoples_answers(make_project, tmp_path):
    project, truth = make_project(tmp_path, n=40)
    path = tmp_path / "rules.yaml"
    path.write_text(FILE_A)
    project.register_rules(path)
    # a person answers 10 items with the truth, one of them against the rule
    answered = [f"m{i}" for i in range(10)]
    for item_id in answered:
        label = truth[item_id] if item_id != "m0" else "ham"
        project.add_answer(item_id, label, user="ada")
    result = project.rules_analysis()
    assert (result["items"], result["answered"], result["gold"]) == (40, 10, 0)
    rows = {r["name"]: r for r in result["rules"]}
    texts = dict(zip(project.to_frame()["id"], project.to_frame()["text"], strict=True))
    answers = {i: (truth[i] if i != "m0" else "ham") for i in answered}
    for name, words, cls in (
        ("says_free", ("free", "cash", "prize"), "spam"),
        ("says_meeting", ("meeting", "lunch", "notes"), "ham"),
    ):
        fired = {i for i, t in texts.items() if any(w in t.split() for w in words)}
        right = sum(answers[i] == cls for i in answered if i in fired)
        wrong = sum(answers[i] != cls for i in answered if i in fired)
        row = rows[name]
        assert row["polarity"] == [cls] and row["coverage"] == pytest.approx(len(fired) / 40)
        assert (row["correct"], row["incorrect"]) == (right, wrong)
        assert row["accuracy"] == pytest.approx(right / (right + wrong))
        assert (row["lower"], row["upper"]) == pytest.approx(
            clopper_pearson_interval(right, right + wrong, confidence=project.settings.confidence)
        )
        assert row["overlaps"] == 0.0 and row["conflicts"] == 0.0


PY_RULES = """
from labelmill.lf import ABSTAIN, labeling_function


@labeling_function()
def says_free_py(x):
    return 0 if "free" in x.text else ABSTAIN


@labeling_function()
def says_lunch_py(x):
    return 1 if "lunch" in x.text else ABSTAIN
"""


def test_python_rules_are_reloaded_from_their_file_with_a_reason_when_they_cannot_be(
    make_project, tmp_path
):
    from labelmill.exceptions import RoundError

    project, _truth = make_project(tmp_path, n=40)
    path = tmp_path / "rules_py.py"
    path.write_text(PY_RULES)
    project.register_rules(path)
    new = pd.DataFrame({"id": ["x1"], "text": ["free lunch"], "truth": ["spam"]})
    project.import_items(new, id_column="id", meta_columns=["truth"])
    path.write_text(PY_RULES.replace('"free" in', '"cash" in'))
    with pytest.raises(RoundError, match=r"'says_free_py' version .* is no longer in .*disable"):
        project.run_round()
    path.unlink()
    with pytest.raises(RoundError, match=r"'says_free_py' cannot be reloaded .*does not exist"):
        project.run_round()
    project.disable_rule("says_free_py")
    project.disable_rule("says_lunch_py")
    project.add_answer("m0", "spam", user="ada")
    project.add_answer("m1", "ham", user="ada")
    assert project.run_round().status == "done"
