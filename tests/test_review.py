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


def test_audit_catches_up_at_half_the_answers_while_the_policy_asks_for_more(project):
    from labelmill.store.queries import rounds

    def quota(n, more):
        with project.store.session() as session:
            rid = rounds.start_round(session, {}, "load")
            results = {"n_audit": 0, "n_human": 0, "n_more_audit_needed": more}
            rounds.finish_round(session, rid, results)
            return review.audit_quota(session, n, minimum=0, fraction=0.3)

    assert quota(10, more=0) == 3  # the fraction alone
    assert quota(10, more=100) == 5  # half of the answers since the round
    assert quota(10, more=4) == 4  # no more than the policy asked for
    assert quota(1, more=100) == 1


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
        keys = dict(s.execute(sa.select(Item.item_id, Label.priority).join(Label)).tuples().all())
        audit_keys = dict(s.execute(sa.select(Item.item_id, Item.random_key)).tuples().all())
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
    # The unranked order has its own hash: the review queue never reads the audit keys.
    from labelmill.ingest._write import unranked_priority

    assert all(keys[i] == unranked_priority(i, 0) for i in unranked)
    assert all(keys[i] != audit_keys[i] - 1 for i in unranked)

    def serve(n, user=None):
        got = review.next_items(project.store, project.schema, n=n, user=user, audit_fraction=0)
        return [q.item_id for q in got]

    assert serve(11) == expected
    # Without an answer, ann is handed the item she holds again.
    assert [serve(1, "ann") for _ in range(3)] == [["i5"]] * 3
    assert serve(3, "bob") == expected[1:4]


def test_answer_counters_match_the_votes(project):
    """The audit quota reads running counts; they must equal a count of people's current
    answers: an undo takes its answer out, answering again or changing an answer counts
    once."""
    import sqlalchemy as sa

    from labelmill.store import Counter

    items = [q.item_id for q in project.next_items(3, user="ann", queue="audit")]
    project.add_answer(items[0], "spam", user="ann", queue="audit")
    project.add_answer(items[1], "ham", user="ann", queue="audit")
    project.add_answer(items[2], None, user="ann", queue="audit", skip=True)
    others = [q.item_id for q in project.next_items(5, queue="audit")]
    free = [i for i in others if i not in items]
    project.add_answer(free[0], "ham", user="bob", queue="review")
    project.undo_answer(free[0], user="bob")
    project.add_answer(free[0], "spam", user="bob", queue="review")
    project.add_answer(free[0], "ham", user="bob", queue="review")  # changed: still one
    project.add_answer(free[2], "ham", user="bob", queue="review")
    project.undo_answer(free[2], user="bob")  # withdrawn: not counted
    project.add_answer(free[1], "spam", user="cat", queue="crowd")  # a crowd vote: not counted
    with project.store.session() as s:
        counts = dict(s.execute(sa.select(Counter.name, Counter.value)).tuples().all())
    with project.store.session() as s:
        from labelmill.store.queries.sources import latest_answers

        current = [queue for _pk, _k, _u, _l, queue in latest_answers(s)]
    assert counts == {"answers:audit": 2, "answers:review": 1}
    assert counts == {f"answers:{q}": current.count(q) for q in ("audit", "review")}


# -- blind means blind -------------------------------------------------------------------------
def _rank_for_review(project):
    """Pretend a round ran: every item in review with a suggestion, and a done round."""
    import sqlalchemy as sa

    from labelmill.store import Label, Round

    with project.store.session() as s:
        s.execute(sa.update(Label).values(status="review", label=0, confidence=0.6, priority=0.5))
        s.add(Round(status="done", stage="done"))


def test_a_held_audit_lease_comes_back_blind_whatever_the_quota_says(project):
    """The bug: a reload served an item leased as a blind audit in review mode (with the
    suggestion) once other people's answers moved the audit quota, and the answer was still
    recorded as a blind audit."""
    _rank_for_review(project)
    first = project.next_items(1, user="rev", queue="review")[0]
    assert first.mode == "audit" and first.suggestion is None  # the audit sample is empty
    # Others fill the audit sample: the quota now asks for review items.
    for entry in project.next_items(10, user="other", queue="audit"):
        project.add_answer(entry.item_id, "ham", user="other", queue="audit")
    again = project.next_items(1, user="rev", queue="review")  # a page reload
    assert [(e.item_id, e.mode, e.suggestion) for e in again] == [(first.item_id, "audit", None)]
    assert project.add_answer(first.item_id, "spam", user="rev", queue="review") == "audit"


def test_an_item_shown_with_its_suggestion_is_never_served_blind_to_that_person(project):
    _rank_for_review(project)
    project.save_settings(target_accuracy=0.5, confidence=0.5, audit_fraction=0.01)
    seen = project.next_items(12, user="rev", queue="review")
    reviewed = {e.item_id for e in seen if e.mode == "review"}
    assert reviewed
    for entry in seen:
        project.add_answer(entry.item_id, None, user="rev", skip=True)
    audited = {e.item_id for e in project.next_items(12, user="rev", queue="audit")}
    assert not audited & reviewed
    # Somebody else, who never saw the suggestion, may audit those items blind.
    others = {e.item_id for e in project.next_items(12, user="fresh", queue="audit")}
    assert reviewed <= others


def test_an_item_seen_blind_is_not_shown_to_that_person_with_its_suggestion(project):
    _rank_for_review(project)
    blind = project.next_items(3, user="rev", queue="audit")
    for entry in blind:
        project.add_answer(entry.item_id, None, user="rev", skip=True)
    project.save_settings(target_accuracy=0.5, confidence=0.5, audit_fraction=0.01)
    shown = {e.item_id for e in project.next_items(12, user="rev", queue="review")}
    assert not shown & {e.item_id for e in blind}


def test_an_audit_answer_needs_an_audit_lease(project):
    _rank_for_review(project)
    with pytest.raises(ConfigError, match="holds no audit lease on item 'i3'.*audit queue"):
        project.add_answer("i3", "spam", user="rev", queue="audit")
    (entry,) = project.next_items(1, user="rev", queue="audit")
    assert project.add_answer(entry.item_id, "spam", user="rev", queue="audit") == "audit"
    project.undo_answer(entry.item_id, user="rev")  # re-answering one's own: still blind
    assert project.add_answer(entry.item_id, "ham", user="rev", queue="audit") == "audit"


def test_annotators_take_no_part_in_audits(project):
    from labelmill.exceptions import AuthError
    from labelmill.store import User

    project.store.write(
        lambda s: s.add(User(name="ann", role="annotator", password_hash="!", active=True))
    )
    _rank_for_review(project)
    served = project.next_items(6, user="ann", queue="review")
    assert served and all(e.mode == "review" for e in served)
    with pytest.raises(AuthError, match="audit queue is answered by reviewers and admins"):
        project.next_items(1, user="ann", queue="audit")
    # A reviewer's review queue mixes the audit in (the sample is empty).
    assert project.next_items(1, user="rev", queue="review")[0].mode == "audit"


def test_nobody_answers_an_item_leased_to_someone_else(project):
    _rank_for_review(project)
    project.save_settings(target_accuracy=0.5, confidence=0.5, audit_fraction=0.01)
    (entry,) = project.next_items(1, user="ann", queue="review")
    with pytest.raises(ConfigError, match=f"{entry.item_id}' is being labeled by ann"):
        project.add_answer(entry.item_id, "spam", user="rev", queue="review")


def test_skip_passes_the_item(project):
    """The bug: skip released the lease and the same item came straight back."""
    _rank_for_review(project)
    project.save_settings(target_accuracy=0.5, confidence=0.5, audit_fraction=0.01)
    first = project.next_items(1, user="rev")[0]
    project.add_answer(first.item_id, None, user="rev", skip=True, skip_reason="unclear")
    assert project.next_items(1, user="rev")[0].item_id != first.item_id
    # Others still get it.
    assert first.item_id in {e.item_id for e in project.next_items(12, user="bob")}


def test_crowd_overlap_counts_answers_and_leases_together(project):
    """The bug: answers and leases were each checked against the overlap, not their sum
    (overlap 3 gave up to 5 answers)."""
    workers = [f"w{i}" for i in range(6)]
    first = {w: project.next_items(1, user=w, queue="crowd", overlap=3)[0].item_id for w in workers}
    assert sorted(first.values()).count(first["w0"]) == 3
    for w in workers[:2]:  # two of the three holders answer...
        project.add_answer(first[w], "spam", user=w, queue="crowd", overlap=3)
    late = [project.next_items(1, user=f"late{i}", queue="crowd", overlap=3) for i in range(4)]
    assert all(e[0].item_id != first["w0"] for e in late if e)  # ...the third still holds
    with pytest.raises(ConfigError, match="already has its 3 crowd answers"):
        project.add_answer(first["w0"], "ham", user="intruder", queue="crowd", overlap=3)


# -- a labeling team ---------------------------------------------------------------------------
def test_crowd_answers_never_keep_an_item_from_a_blind_audit(project):
    """The bug: a crowd answer kept lease slot 0 for good, the slot the review and audit
    queues use, so an item with a crowd answer could never be audited (nor reviewed)."""
    crowd = [project.next_items(1, user=w, queue="crowd", overlap=2)[0].item_id for w in "ab"]
    assert crowd[0] == crowd[1]
    for worker in "ab":
        project.add_answer(crowd[0], "spam", user=worker, queue="crowd", overlap=2)
    audited = {e.item_id for e in project.next_items(12, user="rev", queue="audit")}
    assert crowd[0] in audited
    assert project.add_answer(crowd[0], "ham", user="rev", queue="audit") == "audit"
    # ...and the crowd slots stay full: no third crowd answer.
    assert crowd[0] not in {
        e.item_id for e in project.next_items(12, user="c", queue="crowd", overlap=2)
    }


def test_undo_gives_the_item_back_to_its_person_in_its_queue(project):
    _rank_for_review(project)
    project.save_settings(target_accuracy=0.5, confidence=0.5, audit_fraction=0.01)
    (entry,) = project.next_items(1, user="ann")
    project.add_answer(entry.item_id, "spam", user="ann")
    assert project.withdraw_answer(entry.item_id, user="ann") == entry.mode
    assert entry.item_id not in {e.item_id for e in project.next_items(12, user="bob")}
    again = project.next_items(1, user="ann")[0]  # the held lease comes back first
    assert again.item_id == entry.item_id and again.mode == entry.mode
    with pytest.raises(NotFoundError, match="no answer on item"):
        project.withdraw_answer(entry.item_id, user="ann")


def test_a_crowd_undo_frees_and_retakes_the_same_slot(project):
    items = {w: project.next_items(1, user=w, queue="crowd", overlap=2)[0].item_id for w in "ab"}
    item = items["a"]
    for worker in "ab":
        project.add_answer(item, "spam", user=worker, queue="crowd", overlap=2)
    assert project.withdraw_answer(item, user="a") == "crowd"
    assert item not in {
        e.item_id for e in project.next_items(12, user="c", queue="crowd", overlap=2)
    }
    assert project.add_answer(item, "ham", user="a", queue="crowd", overlap=2) == "crowd"


def test_assigned_items_come_first_and_only_to_their_people(project):
    with pytest.raises(NotFoundError, match="No active user named 'ann'"):
        project.assign(["ann"], item_ids=["i7"])
    project.add_user("ann", "password1", role="annotator")
    project.assign(["ann"], item_ids=["i7", "i8"])
    # The audit sample ignores assignments: it stays random.
    audit = {e.item_id for e in project.next_items(12, user="rev", queue="audit")}
    assert {"i7", "i8"} <= audit
    for item in audit:
        project.add_answer(item, None, user="rev", skip=True)
    assert [e.item_id for e in project.next_items(2, user="ann")] == ["i7", "i8"]
    assert not {"i7", "i8"} & {e.item_id for e in project.next_items(10, user="bob")}
    for item in ("i7", "i8"):
        project.add_answer(item, "spam", user="ann")
    assert project.assignments() == [{"user": "ann", "open": 0, "done": 2}]
