"""The labeling round on tiny seeded projects (hashing featurizer, so it runs in seconds)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from labelmill import Project
from labelmill.exceptions import ConfigError, RoundError
from labelmill.store import Label, Round
from tests.pipeline.conftest import RULES_YAML


@pytest.fixture
def with_rules(tmp_path, make_project):
    project, truth = make_project(tmp_path)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES_YAML)
    project.register_rules(rules)
    yield project, truth
    project.close()


def labels(project):
    return project.to_frame().set_index("id")


def test_a_round_labels_every_item_and_records_itself(with_rules):
    project, truth = with_rules
    result = project.run_round()
    frame = labels(project)
    assert frame["label"].notna().all()
    assert set(frame["status"]) <= {"auto", "review"}
    accuracy = np.mean([frame.loc[i, "label"] == truth[i] for i in frame.index])
    assert accuracy > 0.9
    assert result.threshold is None  # no audit labels yet: nothing may be auto-accepted
    assert "audit" in result.guarantee.lower()
    with project.store.session() as s:
        record = s.get(Round, result.round_id)
        assert record.status == "done"
        assert set(record.results["versions"]) >= {"rules", "featurizer", "end_model"}
        assert record.results["versions"]["rules"].keys() == {"says_free", "says_meeting"}
    assert all(r == result.round_id for r in frame["round"])


def test_audit_answers_unlock_auto_accept_with_a_guarantee(with_rules):
    """The per-round policy (kept for comparison) certifies with 70 audit answers."""
    project, truth = with_rules
    project.save_settings(guarantee="per_round")
    project.run_round()
    for entry in project.next_items(70, queue="audit", user="auditor"):
        project.add_answer(entry.item_id, truth[entry.item_id], user="auditor", queue="audit")
    result = project.run_round()
    assert result.n_audit == 70
    assert result.threshold is not None
    assert result.counts["auto"] > 0 and result.counts["gold"] == 70
    assert result.auto_accuracy.bound >= 0.95
    assert "95% confidence" in result.guarantee
    frame = labels(project)
    auto = frame[frame["status"] == "auto"]
    assert np.mean([auto.loc[i, "label"] == truth[i] for i in auto.index]) >= 0.95


def test_human_answers_outrank_rules_and_survive_rounds(with_rules):
    project, truth = with_rules
    project.run_round()
    item = next(i for i, t in truth.items() if t == "spam")
    project.add_answer(item, "ham", user="ann")  # a person disagrees with every rule
    project.run_round()
    row = labels(project).loc[item]
    assert (row["label"], row["status"]) == ("ham", "human")


def test_second_round_reuses_cached_features(with_rules, monkeypatch):
    project, _ = with_rules
    project.run_round()
    from labelmill.features import HashingTextFeaturizer

    calls = []
    original = HashingTextFeaturizer.transform_partial
    monkeypatch.setattr(
        HashingTextFeaturizer,
        "transform_partial",
        lambda self, p: calls.append(len(p)) or original(self, p),
    )
    project.run_round()
    assert calls == []


# -- bad input: a clear message, the round marked failed, earlier rounds untouched -------------
def _failed_rounds(project):
    with project.store.session() as s:
        return [(r.status, r.error) for r in s.scalars(sa.select(Round).order_by(Round.id))]


def test_no_labels_at_all(tmp_path, make_project):
    project, _ = make_project(tmp_path)
    with pytest.raises(RoundError, match="No item has a label to learn from"):
        project.run_round()
    assert _failed_rounds(project)[-1][0] == "failed"
    assert "No item has a label" in _failed_rounds(project)[-1][1]
    project.close()


def test_a_single_class(tmp_path, make_project):
    project, _ = make_project(tmp_path)
    rules = tmp_path / "one.yaml"
    rules.write_text("- {name: only_spam, kind: keywords, keywords: [free], label: spam}\n")
    project.register_rules(rules)
    with pytest.raises(RoundError, match=r"Only one class has labels so far \(spam\)"):
        project.run_round()
    project.close()


@pytest.mark.parametrize("value", [0.0, 1.0, 1.5, -0.1])
def test_target_accuracy_outside_the_unit_interval(with_rules, value):
    project, _ = with_rules
    with pytest.raises(
        ConfigError,
        match=rf"The setting 'target_accuracy' must be a number in \(0, 1\)\. Got {value}",
    ):
        project.run_round(target_accuracy=value)
    assert project.settings.target_accuracy == 0.95  # nothing saved


def test_failed_round_leaves_earlier_rounds_untouched(with_rules, tmp_path):
    project, _ = with_rules
    first = project.run_round()
    before = labels(project)[["label", "status", "confidence", "round"]]
    project.save_settings(featurizer={"kind": "no-such-kind"})
    with pytest.raises(RoundError, match="Round .* failed: .*'kind' option of a text featurizer"):
        project.run_round()
    after = labels(project)[["label", "status", "confidence", "round"]]
    pd.testing.assert_frame_equal(before, after)
    statuses = [s for s, _ in _failed_rounds(project)]
    assert statuses == ["done", "failed"]
    assert first.round_id == 1


def test_features_failing_for_some_items(tmp_path):
    from PIL import Image

    root = tmp_path / "imgs"
    for cls in ("a", "b"):
        (root / cls).mkdir(parents=True)
        for i in range(6):
            value = 30 if cls == "a" else 220
            Image.fromarray(np.full((8, 8), value + i, np.uint8)).save(root / cls / f"{i}.png")
    project = Project.init(
        tmp_path / "img",
        classes=["a", "b"],
        data_type="image",
        settings={"featurizer": {"method": "pixels", "image_size": 8}},
    )
    project.import_items(root)
    (root / "a" / "3.png").write_bytes(b"corrupted after import")
    with pytest.raises(RoundError, match=r"Features could not be computed for 1 item\(s\)"):
        project.run_round()
    project.close()


def test_interrupted_round_is_marked_failed_by_the_next(with_rules):
    project, _ = with_rules
    with project.store.session() as s:
        s.add(Round(status="running", stage="featurize"))
    project.run_round()
    statuses = _failed_rounds(project)
    assert statuses[0] == ("failed", "interrupted (the process stopped before the round finished)")
    assert statuses[1][0] == "done"


def test_labels_rows_carry_posteriors_summing_to_one(with_rules):
    project, _ = with_rules
    project.run_round()
    with project.store.session() as s:
        posteriors = s.scalars(sa.select(Label.posterior)).all()
    assert all(abs(sum(p) - 1) < 1e-3 for p in posteriors)


def test_many_rule_labeled_rows_train_on_a_sample_people_always(with_rules, monkeypatch):
    import labelmill.pipeline.steps as steps

    project, truth = with_rules
    served = project.next_items(6, queue="review", user="ann")
    for entry in served:  # in the queue each was served in: some are blind audits
        project.add_answer(entry.item_id, truth[entry.item_id], user="ann", queue=entry.mode)
    n_human = sum(entry.mode == "review" for entry in served)
    assert 0 < n_human < 6
    covered = project.run_round().n_trained - n_human
    assert covered > 25  # the keyword rules cover most of the 120 items

    monkeypatch.setattr(steps, "MAX_WEAK_ROWS", 25)
    first = project.run_round()
    assert first.status == "done" and first.n_trained == n_human + 25
    before = labels(project)["label"]
    assert project.run_round().n_trained == n_human + 25
    # The same seeded sample, so the same model and labels; people's labels are kept.
    after = labels(project)
    assert after["label"].equals(before)
    human = after[after["status"] == "human"]
    assert len(human) == n_human and all(human["label"] == [truth[i] for i in human.index])


def test_stages_report_in_the_order_they_run(with_rules):
    """The progress callback sees every stage once, in order, with a rising fraction (the
    bug: 'load' was listed before 'rules', so the fraction went backwards)."""
    from labelmill.pipeline import STAGES

    project, _ = with_rules
    seen: list[tuple[str, float]] = []
    project.run_round(progress=lambda stage, fraction: seen.append((stage, fraction)))
    assert [stage for stage, _ in seen] == [*STAGES, "done"]
    fractions = [fraction for _, fraction in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert STAGES[:2] == ("rules", "load")


def test_project_guarantee_certifies_once_the_audit_sample_allows_and_explains(
    tmp_path, make_project
):
    """The default policy (the guarantee over the whole project) tests nothing before its
    first share of the error budget has room (144 audit answers at 95%/95%), then
    auto-accepts, and every round says what changed."""
    project, truth = make_project(tmp_path, n=400)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES_YAML)
    project.register_rules(rules)
    first = project.run_round()
    assert first.threshold is None
    assert "Nothing is auto-accepted yet" in first.change["text"]
    for entry in project.next_items(100, queue="audit", user="auditor"):
        project.add_answer(entry.item_id, truth[entry.item_id], user="auditor", queue="audit")
    early = project.run_round()
    assert early.threshold is None and early.n_more_audit_needed > 0
    for entry in project.next_items(60, queue="audit", user="auditor"):
        project.add_answer(entry.item_id, truth[entry.item_id], user="auditor", queue="audit")
    result = project.run_round()
    assert result.n_audit == 160 and result.threshold is not None
    assert result.counts["auto"] > 0
    assert "no round of this project auto-accepts" in result.guarantee
    assert result.change is not None and result.change["text"]
    assert any(line.startswith("what changed:") for line in result.summary())
    frame = labels(project)
    auto = frame[frame["status"] == "auto"]
    assert np.mean([auto.loc[i, "label"] == truth[i] for i in auto.index]) >= 0.95
    with project.store.session() as s:
        from labelmill.store.queries.rounds import get_state

        assert get_state(s, "guarantee")["round"] == 3
    project.close()


def test_shown_confidence_tells_items_apart():
    """The confidence people see is calibrated on the audit but keeps the items apart (the
    bug: isotonic plateaus gave three values over 98% of the review queue)."""
    from labelmill.pipeline.steps import calibrate_on_audit

    rng = np.random.default_rng(0)
    n = 2000
    margin = rng.normal(1.5, 1.0, n)
    p1 = 1 / (1 + np.exp(-margin))  # the model's P(class 0), overconfident on purpose
    proba = np.column_stack([p1, 1 - p1])
    truth = np.where(rng.uniform(size=n) < 1 / (1 + np.exp(-0.6 * margin)), 0, 1)
    audited = np.zeros(n, dtype=bool)
    audited[:150] = True
    audit = np.where(audited, truth, -1)
    shown, before, after = calibrate_on_audit(proba, audited, audit, seed=0)
    top = shown.max(axis=1)[~audited]
    assert np.unique(np.round(top, 3)).size > 100
    assert after is not None and after < before  # and it is better calibrated
    raw = proba.max(axis=1)[~audited]
    assert np.all(np.diff(top[np.argsort(raw)]) >= -1e-9)  # the order is kept
