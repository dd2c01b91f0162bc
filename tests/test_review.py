"""Queues, leases and answers (the library side of the server's labeling API)."""

import pandas as pd
import pytest

from labelmill import Project
from labelmill.exceptions import ConfigError, NotFoundError, SchemaError


@pytest.fixture
def project(tmp_path, db_url):
    p = Project.init(tmp_path / "p", classes=["spam", "ham"], db_url=db_url)
    p.import_items(
        pd.DataFrame(
            {"id": [f"i{n}" for n in range(12)], "text": [f"text {n}" for n in range(12)]}
        ),
        id_column="id",
    )
    yield p
    p.close()


def test_two_users_are_never_served_the_same_item(project):
    a = [q.item_id for q in project.next_items(5, user="ann", queue="audit")]
    b = [q.item_id for q in project.next_items(5, user="bob", queue="audit")]
    assert len(set(a)) == 5 and not set(a) & set(b)
    # Asking again returns the items still held, not new ones.
    assert [q.item_id for q in project.next_items(5, user="ann", queue="audit")] == a


def test_audit_items_are_blind_and_become_gold(project):
    (entry,) = project.next_items(1, user="ann", queue="audit")
    assert entry.mode == "audit" and entry.suggestion is None and entry.votes == []
    project.add_answer(entry.item_id, "spam", user="ann", queue="audit")
    frame = project.to_frame().set_index("id")
    assert (frame.loc[entry.item_id, "label"], frame.loc[entry.item_id, "status"]) == (
        "spam",
        "gold",
    )
    assert entry.item_id not in [
        q.item_id for q in project.next_items(12, user="bob", queue="audit")
    ]


def test_review_queue_mixes_in_audit_items_at_the_audit_fraction(project):
    served = project.next_items(10, user="ann")  # before any round: fraction only (0.3)
    assert [q.mode for q in served].count("audit") == 3


def test_crowd_overlap_goes_to_distinct_users(project):
    seen = {}
    for user in ("u1", "u2", "u3", "u4"):
        for q in project.next_items(12, user=user, queue="crowd", overlap=3):
            seen.setdefault(q.item_id, []).append(user)
            project.add_answer(q.item_id, "ham", user=user, queue="crowd")
    assert all(len(set(users)) == len(users) <= 3 for users in seen.values())
    assert sum(len(u) for u in seen.values()) == 12 * 3
    assert project.status()["sources"]["crowd"] == 3  # u4 came when every item had 3 answers
    assert project.next_items(1, user="u4", queue="crowd") == []


def test_skip_releases_and_undo_restores(project):
    (entry,) = project.next_items(1, user="ann", queue="review")
    project.add_answer(entry.item_id, skip=True, user="ann", queue=entry.mode)
    project.add_answer(entry.item_id, "spam", user="ann", queue="review")
    assert project.status()["by_status"]["human"] == 1
    project.undo_answer(entry.item_id, user="ann")
    assert project.status()["by_status"]["human"] == 0
    with pytest.raises(NotFoundError, match="ann has no answer on item"):
        project.undo_answer(entry.item_id, user="ann")


def test_bad_answers(project):
    with pytest.raises(NotFoundError, match="No item with id 'nope'"):
        project.add_answer("nope", "spam", user="ann")
    with pytest.raises(SchemaError, match="Label 'eggs' is not a class"):
        project.add_answer("i1", "eggs", user="ann")
    with pytest.raises(ConfigError, match="queue must be one of review, audit, crowd"):
        project.next_items(1, queue="vip")
    with pytest.raises(ConfigError, match="at least 1"):
        project.next_items(0)
    assert project.status()["votes"] == 0
