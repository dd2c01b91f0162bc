"""The round's learning techniques: each runs end to end, audit answers never train the
model that routes items to ``auto``, and the audit model never changes ``auto``."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from labelmill.learn import EndModel, KNeighborsHead
from labelmill.pipeline.results import RoundResult
from labelmill.store import Item
from tests.pipeline.conftest import RULES_YAML

OFF = {"self_training": "off", "label_spreading": "off", "ensemble": "off", "audit_model": "off"}
ALL_ON = {"self_training": "on", "label_spreading": "on", "ensemble": "on", "audit_model": "off"}


def answered(project, truth, *, audit=80, review=70, rules=True):
    """A project after a first round, ``audit`` blind audit answers and ``review`` review
    answers (all right)."""
    if rules:
        path = project.path / "rules.yaml"
        path.write_text(RULES_YAML)
        project.register_rules(path)
    project.save_settings(guarantee="per_round")
    project.run_round()
    for entry in project.next_items(audit, queue="audit", user="auditor"):
        project.add_answer(entry.item_id, truth[entry.item_id], user="auditor", queue="audit")
    audited = set(project.to_frame().query("status == 'gold'")["id"])
    for item_id in [i for i in sorted(truth) if i not in audited][:review]:
        project.add_answer(item_id, truth[item_id], user="ann", queue="review")
    return project


@pytest.mark.parametrize(
    "technique", ["self_training", "label_spreading", "ensemble", "audit_model"]
)
def test_each_technique_runs_a_round_end_to_end(tmp_path, make_project, technique):
    project, truth = make_project(tmp_path, n=200, techniques={**OFF, technique: "on"})
    answered(project, truth)
    result = project.run_round()
    info = result.techniques[technique]
    assert (info.setting, info.used, info.reason) == ("on", True, "set to on")
    assert all(not t.used for name, t in result.techniques.items() if name != technique)
    frame = project.to_frame().set_index("id")
    assert np.mean([frame.loc[i, "label"] == truth[i] for i in frame.index]) > 0.9
    again = RoundResult.from_dict(result.to_dict())
    assert again.techniques[technique] == info
    assert any(line.startswith("techniques: ") for line in result.summary())
    if technique == "self_training":
        assert "pseudo_labels" in info.details
    if technique == "ensemble":
        assert set(info.details["weights"]) >= {"end_model", "knn"}
    if technique == "audit_model":
        assert info.details["audit_answers"] == result.n_audit > 0


class _Spy:
    """Records the targets of every fit of an end model or kNN head."""

    def __init__(self, monkeypatch):
        self.targets: list[np.ndarray] = []
        for cls in (EndModel, KNeighborsHead):
            original = cls.fit

            def spy(model, X, y=None, *args, _original=original, **kwargs):
                self.targets.append(np.asarray(y, dtype=float).copy())
                return _original(model, X, y, *args, **kwargs)

            monkeypatch.setattr(cls, "fit", spy)


def _three_class_round(audit_model, monkeypatch, techniques=None):
    """A round's training on 3 classes where only the audit answers name class 2."""
    from labelmill.pipeline import steps
    from labelmill.settings import ProjectSettings

    rng = np.random.default_rng(0)
    n = 200
    X = rng.normal(size=(n, 6))
    X[:, 0] = np.arange(n) / n  # every row unique
    cls = (X[:, 1] > 0).astype(int)
    human = np.full(n, -1)
    human[:70] = cls[:70]
    audit = np.full(n, -1)
    audit[140:200] = 2  # the audit answers: the only class-2 labels anywhere
    posterior = np.zeros((n, 3))
    posterior[np.arange(n), cls] = 0.9
    posterior[np.arange(n), 1 - cls] = 0.1
    rows = np.concatenate([np.arange(70), np.arange(100, 200)])  # audit items covered too
    Y = np.where(
        (human[rows] >= 0)[:, None], np.eye(3)[np.maximum(human[rows], 0)], posterior[rows]
    )
    chosen = techniques or {**ALL_ON, "self_training": "auto", "ensemble": "off"}
    settings = ProjectSettings(techniques={**chosen, "audit_model": audit_model})
    spy = _Spy(monkeypatch)
    trained = steps.train(settings, X, rows, Y, np.ones(rows.size), human, audit, 3, 0)
    return spy, trained


@pytest.mark.parametrize("techniques", [None, ALL_ON], ids=["auto", "all_on"])
def test_audit_answers_never_train_the_routing_model(monkeypatch, techniques):
    """No fit of the audit-blind model (its techniques and the cross-validation of
    ``auto`` included) is given an audit answer: only the audit answers name class 2."""
    spy, trained = _three_class_round("off", monkeypatch, techniques)
    if techniques is None:
        assert trained.techniques["self_training"].evidence["n_answers"] == 70
    else:
        assert all(trained.techniques[t].used for t in ALL_ON if ALL_ON[t] == "on")
    assert len(spy.targets) >= 7  # the cross-validation of auto, then the final fits
    for targets in spy.targets:
        assert targets.ndim == 2 and targets[:, 2].max() < 0.5
    assert trained.proba[:, 2].max() < 0.5


def test_only_the_audit_model_trains_on_audit_answers(monkeypatch):
    blind_spy, blind = _three_class_round("off", monkeypatch)
    monkeypatch.undo()
    spy, trained = _three_class_round("on", monkeypatch)
    np.testing.assert_array_equal(trained.proba, blind.proba)  # the blind model as before
    told = [int((t[:, 2] == 1.0).sum()) for t in spy.targets]
    assert max(told) == 60  # the audit model's final fits learn all 60 answers
    assert trained.review_proba is not None and trained.review_proba[140:200, 2].mean() > 0.5


def test_audit_answers_do_not_change_the_routing_model_in_a_round(tmp_path, make_project):
    """Two projects, the same audit items answered right in one and wrong in the other:
    every item's model label and the techniques chosen are the same."""
    settings = {**ALL_ON, "self_training": "auto"}
    outcomes = []
    for flip in (False, True):
        folder = tmp_path / str(flip)
        folder.mkdir()
        project, truth = make_project(folder, n=200, seed=2, techniques=settings)
        answers = {i: ("ham" if t == "spam" else "spam") if flip else t for i, t in truth.items()}
        answered(project, answers, audit=60, review=0)
        for item_id in [i for i in sorted(truth) if i not in answered_ids(project)][:70]:
            project.add_answer(item_id, truth[item_id], user="ann", queue="review")
        result = project.run_round()
        frame = project.to_frame().set_index("id")
        outcomes.append((frame, result))
    (fa, a), (fb, b) = outcomes
    machine = ~fa["status"].isin(["gold", "human"])
    assert (fa.loc[machine, "label"] == fb.loc[machine, "label"]).all()
    assert {n: t.used for n, t in a.techniques.items()} == {
        n: t.used for n, t in b.techniques.items()
    }
    assert a.techniques["self_training"].evidence == b.techniques["self_training"].evidence


def answered_ids(project):
    return set(project.to_frame().query("status in ['gold', 'human']")["id"])


def _make_pair(tmp_path, make_project, audit_model):
    folder = tmp_path / audit_model
    folder.mkdir()
    project, truth = make_project(
        folder, n=240, seed=4, techniques={**OFF, "audit_model": audit_model}
    )
    answered(project, truth, audit=90, review=20)
    return project, truth


def test_the_audit_model_never_changes_auto_decisions(tmp_path, make_project):
    blind, truth = _make_pair(tmp_path, make_project, "off")
    helped, _ = _make_pair(tmp_path, make_project, "on")
    a, b = blind.run_round(), helped.run_round()
    assert a.threshold == b.threshold and a.threshold is not None
    assert a.counts == b.counts and a.counts["auto"] > 0
    fa, fb = blind.to_frame().set_index("id"), helped.to_frame().set_index("id")
    assert (fa["status"] == fb["status"]).all()
    auto = fa["status"] == "auto"
    assert (fa.loc[auto, "label"] == fb.loc[auto, "label"]).all()
    assert (fa.loc[auto, "confidence"] == fb.loc[auto, "confidence"]).all()
    info = b.techniques["audit_model"]
    assert info.used and "review_labels_changed" in info.details
    review = fa["status"] == "review"
    changed = int((fa.loc[review, "label"] != fb.loc[review, "label"]).sum())
    assert changed == info.details["review_labels_changed"]


def test_auto_stays_off_with_too_few_answers_and_says_why(tmp_path, make_project):
    auto = dict.fromkeys(OFF, "auto")
    project, truth = make_project(tmp_path, n=160, techniques=auto)
    answered(project, truth, audit=40, review=10)
    result = project.run_round()
    for name in OFF:
        info = result.techniques[name]
        assert (info.setting, info.used) == ("auto", False)
        assert "fewer than the 60 needed" in info.reason


def test_auto_decides_on_held_out_answers_and_records_the_evidence(tmp_path, make_project):
    project, truth = make_project(
        tmp_path, n=240, techniques={**OFF, "ensemble": "auto", "audit_model": "auto"}
    )
    answered(project, truth, audit=40, review=90)
    result = project.run_round()
    for name in ("ensemble", "audit_model"):
        info = result.techniques[name]
        assert info.setting == "auto"
        assert info.evidence["n_answers"] >= 60
        assert set(info.evidence) >= {"accuracy_with", "accuracy_without", "wins", "p_value"}
        assert "held-out accuracy" in info.reason
        assert info.used == (info.reason.startswith("on:"))


def test_the_oracle_column_stays_invisible_with_every_technique_on(tmp_path, make_project):
    """Scramble the oracle on every item nobody answers: the rounds must not change."""
    on = {**ALL_ON, "audit_model": "on"}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, _ = make_project(tmp_path / "a", seed=3, techniques=on)
    curve_a = first.simulate(oracle_column="truth", budget=60, batch_size=30, seed=5)
    asked = set(first.to_frame().query("status in ['human', 'gold']")["id"])
    second, _ = make_project(tmp_path / "b", seed=3, techniques=on)
    with second.store.session() as s:
        for item in s.scalars(sa.select(Item)):
            if item.item_id not in asked:
                flipped = "ham" if item.meta["truth"] == "spam" else "spam"
                item.meta = {**item.meta, "truth": flipped}
    curve_b = second.simulate(oracle_column="truth", budget=60, batch_size=30, seed=5)
    fa, fb = first.to_frame().set_index("id"), second.to_frame().set_index("id")
    assert (fa["label"] == fb["label"]).all()
    assert [r.threshold for r in curve_a] == [r.threshold for r in curve_b]
    assert curve_a[-1].accuracy_all_true != curve_b[-1].accuracy_all_true


def test_augment_calls_labelmill_augment_with_peoples_answers_only(
    tmp_path, make_project, monkeypatch
):
    """A stand-in ``labelmill.augment``: the round hands it the payloads of people's review
    answers (never audit items) and trains on the rows it returns."""
    import importlib.machinery
    import sys
    import types

    calls = []

    def augment_training_rows(payloads, Y, weights, *, data_type, featurizer, seed, **kw):
        calls.append(list(payloads))
        X = featurizer.transform([p + " again" for p in payloads])
        return np.asarray(X, dtype=np.float32), np.asarray(Y), 0.5 * np.asarray(weights)

    fake = types.ModuleType("labelmill.augment")
    fake.__spec__ = importlib.machinery.ModuleSpec("labelmill.augment", None)
    fake.augment_training_rows = augment_training_rows
    monkeypatch.setitem(sys.modules, "labelmill.augment", fake)
    project, truth = make_project(tmp_path, n=160, techniques={**OFF, "augment": "on"})
    answered(project, truth, audit=40, review=30)
    result = project.run_round()
    assert result.techniques["augment"].used
    audited_texts = set(project.to_frame().query("status == 'gold'")["text"])
    assert len(calls) == 1 and len(calls[0]) == 30
    assert not (set(calls[0]) & audited_texts)
