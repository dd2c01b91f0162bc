"""Queues, leases and answers (the library side of the server's labeling API)."""

import pandas as pd
import pytest

from labelmill import Project, review
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


def test_review_order_ranked_first_then_random_order_across_statuses(project):
    """priority DESC (a round's ranking, over both reviewable statuses), then the items no
    round ranked in their fixed random order; the same with and without leases."""
    import sqlalchemy as sa

    from labelmill.store import Item, Label

    with project.store.session() as s:
        keys = dict(s.execute(sa.select(Item.item_id, Item.random_key)).tuples().all())
        pks = dict(s.execute(sa.select(Item.item_id, Item.pk)).tuples().all())
        ranked = {"i3": ("review", 0.2), "i7": ("unlabeled", 0.9), "i5": ("review", 2.5)}
        for item_id, (status, priority) in ranked.items():
            s.execute(
                sa.update(Label)
                .where(Label.item_pk == pks[item_id])
                .values(status=status, priority=priority)
            )
        s.execute(sa.update(Label).where(Label.item_pk == pks["i0"]).values(status="auto"))
    unranked = sorted(set(keys) - set(ranked) - {"i0"}, key=keys.get, reverse=True)
    expected = ["i5", "i7", "i3", *unranked]

    def serve(n, user=None):
        got = review.next_items(project.store, project.schema, n=n, user=user, audit_fraction=0)
        return [q.item_id for q in got]

    assert serve(11) == expected
    # Without an answer, ann is handed the item she holds again.
    assert [serve(1, "ann") for _ in range(3)] == [["i5"]] * 3
    assert serve(3, "bob") == expected[1:4]


def test_answer_counters_match_the_votes(project):
    """The audit quota reads running counts; they must equal a count of people's answers
    (withdrawn ones included, as before: an undo appends, it does not erase)."""
    import sqlalchemy as sa

    from labelmill.store import Counter, Source, Vote

    items = [q.item_id for q in project.next_items(6, user="ann", queue="audit")]
    project.add_answer(items[0], "spam", user="ann", queue="audit")
    project.add_answer(items[1], "ham", user="ann", queue="audit")
    project.add_answer(items[2], None, user="ann", queue="audit", skip=True)
    project.add_answer(items[3], "ham", user="bob", queue="review")
    project.undo_answer(items[3], user="bob")
    project.add_answer(items[3], "spam", user="bob", queue="review")
    project.add_answer(items[4], "spam", user="cat", queue="crowd")  # a crowd vote: not counted
    with project.store.session() as s:
        counts = dict(s.execute(sa.select(Counter.name, Counter.value)).tuples().all())
        votes = dict(
            s.execute(
                sa.select(Vote.queue, sa.func.count())
                .join(Source, Source.id == Vote.source_id)
                .where(Source.kind == "human", Vote.label != -1)
                .group_by(Vote.queue)
            )
            .tuples()
            .all()
        )
    assert counts == {"answers:audit": 2, "answers:review": 2}
    assert counts == {f"answers:{q}": n for q, n in votes.items()}
