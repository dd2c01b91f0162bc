"""What a labeling team works with, through the API: skip reasons, comments, progress, my
answers and changing them, undo with the card back, the model's vote, the item browser and
adjudication, assignment, per-person quality, guidance, rules, import, the audit log."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from labelmill.store import Item, Label, Round, User

Server = Any
PASSWORD = "correct horse battery"


def ranked(project: Any, *, rule: bool = True) -> int:
    """Pretend a round ran: every item in review with a model label, posterior and round id
    (a 'cash prize' keyword rule voted spam on the items that say so)."""
    from labelmill.store import Source, Vote

    def work(session: Any) -> int:
        record = Round(status="done", stage="done")
        session.add(record)
        session.flush()
        source = Source(
            kind="rule",
            name="cash_rule",
            version="1",
            definition={
                "rule": {
                    "kind": "keywords",
                    "name": "cash_rule",
                    "keywords": ["cash prize"],
                    "label": 0,
                }
            },
        )
        session.add(source)
        session.flush()
        for pk, payload in session.execute(select(Item.pk, Item.payload)):
            spam = "cash prize" in payload
            p = 0.8 if spam else 0.3
            session.execute(
                update(Label)
                .where(Label.item_pk == pk)
                .values(
                    status="review",
                    label=0 if spam else 1,
                    confidence=max(p, 1 - p),
                    posterior=[p, 1 - p],
                    round_id=record.id,
                    priority=float(pk),
                )
            )
            if rule and spam:
                session.add(Vote(item_pk=pk, source_id=source.id, label=0, round_id=record.id))
        return record.id

    return project.store.write(work)


def review_only(project: Any) -> None:
    project.save_settings(target_accuracy=0.5, confidence=0.5, audit_fraction=0.01)


def session_cookies(server: Server, name: str) -> dict[str, str]:
    """Cookies of a browser session of ``name`` (as the login page sets them)."""
    sid = server.project.open_session(name, "session", seconds=600)
    token = server.app.state.signer.sign(name, kind="session", sid=sid)
    return {"labelmill_session": token, "labelmill_csrf": server.app.state.signer.csrf_for(token)}


def add_people(server: Server, password_hash: str, names: dict[str, str]) -> None:
    def work(session: Any) -> None:
        for name, role in names.items():
            session.add(User(name=name, role=role, password_hash=password_hash, active=True))

    server.project.store.write(work)


# -- defect 1 (library-fixed) through the API, feature 1: skip with a reason, comments --------
def test_skip_with_a_reason_passes_the_item_and_is_kept(server: Server) -> None:
    review_only(server.project)
    first = server.next("ann").json()["item_id"]
    skipped = server.answer("ann", first, None, skip=True, skip_reason="broken")
    assert skipped.status_code == 201 and skipped.json()["skipped"] is True
    assert server.next("ann").json()["item_id"] != first  # passed, not served again
    record = server.get(f"/api/browse/items/{first}", "rev").json()
    assert record["skips"][0]["user"] == "ann" and record["skips"][0]["reason"] == "broken"
    log = server.get("/api/audit-log?action=skip", "ada").json()
    assert log[0]["details"] == {"queue": "review", "reason": "broken"}
    kept = server.project.skips()  # what the export reads
    assert [(s["user"], s["reason"]) for s in kept[first]] == [("ann", "broken")]
    assert server.project.skips([first]) == kept


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ({"label": "spam", "skip_reason": "x"}, "goes with skip"),
        ({"skip": True, "skip_reason": "x" * 501}, "500"),
    ],
)
def test_bad_skips_are_422(server: Server, body: dict[str, Any], match: str) -> None:
    item = server.next("rev").json()["item_id"]
    response = server.post(f"/api/items/{item}/answers", "rev", json=body)
    assert response.status_code == 422 and match in str(response.json()["detail"])


def test_comments_are_kept_and_only_reviewers_see_everyone_s(server: Server) -> None:
    review_only(server.project)
    item = server.next("ann").json()["item_id"]
    made = server.post(
        f"/api/items/{item}/comments", "ann", json={"text": "the <b>second</b> half is cut"}
    )
    assert made.status_code == 201 and made.json()["user"] == "ann"
    assert (
        server.post(f"/api/items/{item}/comments", "rev", json={"text": "seen"}).status_code == 201
    )
    mine = server.get(f"/api/items/{item}/comments", "ann").json()
    assert [c["text"] for c in mine] == ["the <b>second</b> half is cut"]  # not rev's
    everyone = server.get(f"/api/items/{item}/comments", "rev").json()
    assert [c["user"] for c in everyone] == ["ann", "rev"]
    assert server.project.comments()[item][0]["text"] == "the <b>second</b> half is cut"
    assert server.post("/api/items/m05/comments", "ann2", json={"text": "x"}).status_code == 403
    assert server.post(f"/api/items/{item}/comments", "ann", json={"text": ""}).status_code == 422
    assert server.post("/api/items/nope/comments", "rev", json={"text": "x"}).status_code == 404


def test_comment_errors_in_the_library(server: Server) -> None:
    from labelmill.exceptions import ConfigError

    with pytest.raises(ConfigError, match="1-2000 characters"):
        server.project.add_comment("m01", "   ", user="ann")


# -- feature 2: personal progress -------------------------------------------------------------
def test_progress_counts_my_answers_this_session_today_and_in_all(server: Server) -> None:
    review_only(server.project)
    for _ in range(3):
        item = server.next("ann").json()["item_id"]
        server.answer("ann", item, "ham")
    today = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    got = server.client.get(
        "/api/me/progress", params={"today": today}, headers=server.headers("ann")
    )
    body = got.json()
    assert body["answers"] == {"session": 3, "today": 3, "total": 3}
    assert body["queues"] == {"review": 21, "audit": 21, "crowd": 24}
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    again = server.client.get(
        "/api/me/progress", params={"today": later}, headers=server.headers("ann")
    )
    assert again.json()["answers"]["today"] == 0
    key = server.post("/api/me/keys", "ann", json={"name": "k"}).json()["key"]
    by_key = server.client.get(
        "/api/me/progress", headers={"Authorization": f"Bearer {key}"}
    ).json()
    assert by_key["answers"]["session"] is None and by_key["answers"]["total"] == 3


# -- feature 3: my recent answers, coming back to change one ----------------------------------
def test_my_answers_and_changing_one_keeps_its_queue_and_counts_once(server: Server) -> None:
    first = server.next("rev").json()
    assert first["mode"] == "audit"
    server.answer("rev", first["item_id"], "spam")
    mine = server.get("/api/me/answers", "rev").json()
    assert mine[0]["item_id"] == first["item_id"] and mine[0]["label"] == "spam"
    assert mine[0]["queue"] == "audit" and mine[0]["snippet"].startswith("message number")
    card = server.get(f"/api/items/{first['item_id']}/card", "rev").json()
    assert card["mode"] == "audit" and card["suggestion"] is None and card["your_answer"] == "spam"
    changed = server.answer("rev", first["item_id"], "ham")
    assert changed.status_code == 201 and changed.json()["queue"] == "audit"
    assert server.get("/api/me/answers", "rev").json()[0]["label"] == "ham"
    stats = server.get("/api/stats", "ada").json()
    assert stats["by_status"]["gold"] == 1 and stats["answers"] == 1
    counters = server.project.next_items  # the audit quota still sees one audit answer
    assert counters is not None
    with server.project.store.session() as session:
        from labelmill.store.queries.queues import answer_counts

        assert answer_counts(session) == {"audit": 1}
    assert server.get("/api/items/m20/card", "ann").status_code == 403


# -- defect 9 and feature 4: the card after undo, the model's vote, confidence -----------------
def test_undo_gives_the_card_back_with_suggestion_highlights_and_the_model(server: Server) -> None:
    """The bug: after undo the card lost its highlights, "Why" listed the withdrawn answer
    and a null entry, and annotators lost the suggestion."""
    ranked(server.project)
    review_only(server.project)
    served = server.next("ann").json()
    while "cash prize" not in served["payload"]:
        server.answer("ann", served["item_id"], "ham")
        served = server.next("ann").json()
    assert served["mode"] == "review" and served["suggestion"] == "spam"
    assert served["model"] == {"label": "spam", "probability": 0.8, "round": 1}
    assert served["spans"] and served["votes"] == [
        {"source": "rule:cash_rule", "label": "spam", "score": None}
    ]
    server.answer("ann", served["item_id"], "ham")
    undone = server.post(f"/api/items/{served['item_id']}/undo", "ann").json()
    card = undone["card"]
    assert card["item_id"] == served["item_id"] and card["mode"] == "review"
    assert card["suggestion"] == "spam" and card["spans"] == served["spans"]
    assert card["votes"] == served["votes"] and card["model"] == served["model"]
    assert all(v["label"] is not None for v in card["votes"])
    # The item is the annotator's again (leased back): nobody else is served it.
    assert server.next("ann2").json()["item_id"] != served["item_id"]
    assert server.answer("ann", served["item_id"], "spam").status_code == 201


def test_review_confidence_never_shows_as_certain(server: Server) -> None:
    ranked(server.project)
    review_only(server.project)
    server.project.store.write(
        lambda s: s.execute(update(Label).values(confidence=1.0, posterior=[1.0, 0.0]))
    )
    body = server.next("ann").json()
    assert body["mode"] == "review" and body["confidence"] == 0.99


# -- features 5 and 6: the item browser, adjudication -----------------------------------------
def test_browse_filters_and_shows_who_answered_what(server: Server, password_hash: str) -> None:
    ranked(server.project)
    server.app.state.settings.overlap = 2
    a = server.next("ann", "crowd").json()["item_id"]
    assert server.next("ann2", "crowd").json()["item_id"] == a
    server.answer("ann", a, "spam")
    server.answer("ann2", a, "ham")
    h = server.headers("rev")
    found = server.client.get(
        "/api/browse/items", params={"disagreement": "true"}, headers=h
    ).json()
    assert [i["item_id"] for i in found["items"]] == [a] and found["count"] == 1
    assert {x["user"]: x["label"] for x in found["items"][0]["answers"]} == {
        "ann": "spam",
        "ann2": "ham",
    }
    text = server.client.get("/api/browse/items", params={"text": "CASH PRIZE"}, headers=h).json()
    assert text["count"] == 8 and all("cash prize" in i["snippet"] for i in text["items"])
    by_rule = server.client.get("/api/browse/items", params={"rule": "cash_rule"}, headers=h).json()
    assert by_rule["count"] == 8
    by_person = server.client.get("/api/browse/items", params={"person": "ann2"}, headers=h).json()
    assert [i["item_id"] for i in by_person["items"]] == [a]
    spam = server.client.get(
        "/api/browse/items", params={"label": "spam", "min_confidence": 0.75}, headers=h
    ).json()
    assert spam["count"] == 8
    page = server.client.get("/api/browse/items", params={"limit": 10}, headers=h).json()
    rest = server.client.get("/api/browse/items", params={"after": page["next"]}, headers=h).json()
    assert len(page["items"]) == 10 and len(rest["items"]) == 14 and rest["next"] is None
    bad = server.client.get("/api/browse/items", params={"statuses": "nope"}, headers=h)
    assert bad.status_code == 422 and "Unknown status" in bad.json()["detail"]
    assert server.get("/api/browse/items", "ann").status_code == 403
    detail = server.get(f"/api/browse/items/{a}", "rev").json()
    assert {x["user"] for x in detail["answers"]} == {"ann", "ann2"}
    assert [x["kind"] for x in detail["history"]] == ["crowd", "crowd"]
    options = server.get("/api/browse/options", "rev").json()
    assert options["rules"] == ["cash_rule"] and options["people"] == ["ann", "ann2"]


def test_a_decision_is_a_vote_and_settles_a_crowd_disagreement(server: Server) -> None:
    server.app.state.settings.overlap = 2
    a = server.next("ann", "crowd").json()["item_id"]
    server.next("ann2", "crowd")
    server.answer("ann", a, "spam")
    server.answer("ann2", a, "ham")
    decided = server.post(f"/api/browse/items/{a}/decision", "rev", json={"label": "ham"})
    assert decided.status_code == 200 and decided.json() == {
        "item_id": a,
        "label": "ham",
        "by": "rev",
    }
    detail = server.get(f"/api/browse/items/{a}", "ada").json()
    assert detail["status"] == "human" and detail["label"] == "ham"
    assert {(x["user"], x["queue"]) for x in detail["answers"]} == {
        ("ann", "crowd"),
        ("ann2", "crowd"),
        ("rev", "review"),
    }
    assert (
        server.post(f"/api/browse/items/{a}/decision", "ann", json={"label": "ham"}).status_code
        == 403
    )


def test_decisions_leave_gold_and_items_someone_holds(server: Server) -> None:
    audit = server.next("ada", "audit").json()["item_id"]
    server.answer("ada", audit, "spam")
    gold = server.post(f"/api/browse/items/{audit}/decision", "rev", json={"label": "ham"})
    assert gold.status_code == 422 and "is gold" in gold.json()["detail"]
    review_only(server.project)
    held = server.next("ann").json()["item_id"]
    busy = server.post(f"/api/browse/items/{held}/decision", "rev", json={"label": "ham"})
    assert busy.status_code == 422 and "being labeled by ann" in busy.json()["detail"]
    mine = server.next("rev", "audit").json()["item_id"]
    blind = server.get(f"/api/browse/items/{mine}", "rev").json()
    assert blind["blind"] is True and "answers" not in blind and "label" not in blind
    own = server.post(f"/api/browse/items/{mine}/decision", "rev", json={"label": "ham"})
    assert own.status_code == 422 and "blind audit" in own.json()["detail"]
    bad = server.post("/api/browse/items/m09/decision", "rev", json={"label": "eggs"})
    assert bad.status_code == 422 and "not a class" in bad.json()["detail"]


def test_an_item_seen_in_the_browser_is_never_audited_blind_by_that_person(server: Server) -> None:
    looked = server.get("/api/browse/items/m00", "rev").json()
    assert looked["blind"] is False
    served = set()
    for _ in range(24):
        got = server.next("rev", "audit")
        if got.status_code == 204:
            break
        served.add(got.json()["item_id"])
        server.answer("rev", got.json()["item_id"], "ham")
    assert "m00" not in served and len(served) == 23


def test_a_blind_answer_is_not_changed_after_seeing_the_suggestion(server: Server) -> None:
    item = server.next("rev", "audit").json()["item_id"]
    server.answer("rev", item, "spam")
    server.get(f"/api/browse/items/{item}", "rev")
    response = server.answer("rev", item, "ham")
    assert response.status_code == 422 and "can no longer be changed" in response.json()["detail"]


# -- feature 8: assignment --------------------------------------------------------------------
def test_assigned_items_go_to_their_people_first_and_to_nobody_else(server: Server) -> None:
    review_only(server.project)
    given = server.post(
        "/api/assignments",
        "ada",
        json={"people": ["ann", "ann2"], "item_ids": ["m20", "m21", "m22", "m23"]},
    )
    assert given.status_code == 201 and given.json() == {"assigned": {"ann": 2, "ann2": 2}}
    first = server.next("ann").json()["item_id"]
    assert first == "m20"
    server.answer("ann", first, "ham")
    assert server.next("ann").json()["item_id"] == "m22"
    others = set()
    for _ in range(5):
        got = server.next("rev").json()["item_id"]
        others.add(got)
        server.answer("rev", got, "ham")
    assert not others & {"m20", "m21", "m22", "m23"}
    summary = server.get("/api/assignments", "ada").json()
    assert summary == [
        {"user": "ann", "open": 1, "done": 1},
        {"user": "ann2", "open": 2, "done": 0},
    ]
    progress = server.get("/api/me/progress", "ann2").json()
    assert progress["assigned"] == 2
    removed = server.post("/api/assignments/remove", "ada", json={"people": ["ann2"]}).json()
    assert removed == {"removed": 2}


def test_assign_a_filter_to_each_person_for_a_crowd(server: Server) -> None:
    ranked(server.project)
    server.app.state.settings.overlap = 2
    given = server.post(
        "/api/assignments",
        "ada",
        json={
            "people": ["ann", "ann2"],
            "mode": "each",
            "filter": {"text": "cash prize"},
            "limit": 3,
        },
    ).json()
    assert given == {"assigned": {"ann": 3, "ann2": 3}}
    a = server.next("ann", "crowd").json()["item_id"]
    b = server.next("ann2", "crowd").json()["item_id"]
    assert a == b and a in {"m00", "m03", "m06"}
    assigned = server.client.get(
        "/api/browse/items", params={"assigned_to": "ann"}, headers=server.headers("ada")
    ).json()
    assert {i["item_id"] for i in assigned["items"]} == {"m00", "m03", "m06"}


@pytest.mark.parametrize(
    ("body", "code", "match"),
    [
        ({"people": ["ghost"], "item_ids": ["m01"]}, 404, "No active user named 'ghost'"),
        ({"people": ["ann"], "item_ids": []}, 422, "selection is empty"),
        ({"people": ["ann"]}, 422, "either item_ids or filter"),
        ({"people": ["ann"], "item_ids": ["nope"]}, 404, "No item with id"),
        ({"people": ["ann"], "filter": {"colour": "red"}}, 422, "Unknown filter fields"),
    ],
)
def test_assignment_errors(server: Server, body: dict[str, Any], code: int, match: str) -> None:
    response = server.post("/api/assignments", "ada", json=body)
    assert response.status_code == code and match in str(response.json()["detail"])
    assert server.post("/api/assignments", "rev", json=body).status_code == 403


def test_assignment_library_errors(server: Server) -> None:
    from labelmill.exceptions import ConfigError

    with pytest.raises(ConfigError, match="mode must be one of split, each"):
        server.project.assign(["ann"], item_ids=["m01"], mode="all")
    with pytest.raises(ConfigError, match="at least one person"):
        server.project.assign([], item_ids=["m01"])


# -- feature 9: per-person quality, agreement heatmap ------------------------------------------
def test_people_quality_against_other_people_s_blind_answers(server: Server) -> None:
    server.app.state.settings.overlap = 3
    crowd = []
    for label in ("spam", "spam", "ham"):  # ann answers three crowd items...
        item = server.next("ann", "crowd").json()["item_id"]
        server.answer("ann", item, label)
        crowd.append(item)
    while (got := server.next("ada", "audit")).status_code == 200:  # ...ada audits every item
        server.answer("ada", got.json()["item_id"], "spam")
    people = {p["user"]: p for p in server.get("/api/stats", "ada").json()["people"]}
    ann, ada = people["ann"], people["ada"]
    assert (ann["checked"], ann["right"], ann["crowd"]) == (3, 2, 3)
    assert ann["accuracy"] == pytest.approx(2 / 3) and ann["lower"] < ann["accuracy"] < ann["upper"]
    assert ann["median_seconds"] is not None and ann["median_seconds"] >= 0
    assert (ada["audit"], ada["checked"]) == (24, 0)  # own audit answers are the gold


def test_agreement_heatmap_lists_the_worst_pairs_first() -> None:
    from labelmill.review import agreement_heatmap

    pairs = [
        {"users": ["a", "b"], "shared": 9, "kappa": 0.9, "agreement": 0.95},
        {"users": ["a", "c"], "shared": 4, "kappa": None, "agreement": 1.0},
        {"users": ["b", "c"], "shared": 7, "kappa": -0.2, "agreement": 0.4},
    ]
    out = agreement_heatmap({"pairs": pairs}, worst=2)
    assert out["people"] == ["a", "b", "c"] and out["pairs"] == 3
    assert [p["users"] for p in out["worst"]] == [["b", "c"], ["a", "b"]]
    assert out["cells"]["b|c"]["kappa"] == -0.2


# -- feature 4: guidance in the schema --------------------------------------------------------
def test_guidance_is_saved_checked_and_shown_on_the_card(server: Server) -> None:
    body = {
        "guidelines": "Spam sells something.\nHam is everything else.",
        "class_info": {"spam": {"description": "ads, scams", "color": "#d9480f", "key": "x"}},
    }
    saved = server.client.put("/api/guidance", json=body, headers=server.headers("ada"))
    assert saved.status_code == 200 and saved.json()["class_info"]["spam"]["key"] == "x"
    from labelmill import Project

    reopened = Project.open(server.project.path)
    assert reopened.schema.class_info["spam"].color == "#d9480f"
    assert reopened.schema.guidelines.startswith("Spam sells")
    reopened.close()
    server.client.cookies.update(session_cookies(server, "ann"))
    page = server.client.get("/label").text
    assert "Spam sells something." in page and '"key": "x"' in page
    for bad, match in [
        ({"class_info": {"spam": {"key": "s"}}}, "taken by the labeling page"),
        ({"class_info": {"spam": {"color": "red"}}}, "#rrggbb"),
        ({"class_info": {"eggs": {}}}, "not a class"),
        ({"class_info": {"spam": {"key": "q"}, "ham": {"key": "Q"}}}, "same key"),
    ]:
        response = server.client.put("/api/guidance", json=bad, headers=server.headers("ada"))
        assert response.status_code == 422 and match in response.json()["detail"], bad
    assert (
        server.client.put("/api/guidance", json=body, headers=server.headers("rev")).status_code
        == 403
    )


# -- feature 7: rules, settings, import, export, audit log ------------------------------------
RULES = """rules:
  - name: cash
    kind: keywords
    keywords: [cash prize]
    label: spam
  - name: lunch
    kind: keywords
    keywords: [lunch]
    label: ham
"""


def test_rules_are_tried_with_per_rule_analysis_then_saved(server: Server) -> None:
    for item in ("m00", "m01", "m03"):
        server.project.add_answer(item, "spam", user="rev")
    tried = server.post("/api/rules/try", "ada", json={"text": RULES})
    assert tried.status_code == 200
    body = tried.json()
    assert body["items"] == 24 and body["labeled"] == 3
    cash, lunch = body["rules"]
    assert cash["name"] == "cash" and cash["coverage"] == pytest.approx(8 / 24)
    assert cash["votes_for"] == ["spam"] and cash["overlaps"] == 0 and cash["conflicts"] == 0
    assert (cash["correct"], cash["incorrect"]) == (2, 0) and cash["accuracy"] == 1.0
    assert (lunch["correct"], lunch["incorrect"]) == (0, 1) and lunch["accuracy"] == 0.0
    example = cash["examples"][0]
    assert example["text"][example["spans"][0][0] : example["spans"][0][1]] == "cash prize"
    assert server.get("/api/rules", "ada").json() == []  # trying registers nothing
    saved = server.client.put(
        "/api/rules/file", json={"text": RULES}, headers=server.headers("ada")
    )
    assert saved.status_code == 200 and saved.json() == {
        "rules": {"cash": "added", "lunch": "added"}
    }
    assert {r["name"] for r in server.get("/api/rules", "ada").json()} == {"cash", "lunch"}
    file = server.get("/api/rules/file", "ada").json()
    assert file == {"name": "rules.yaml", "exists": True, "text": RULES}


def test_bad_rules_change_nothing(server: Server) -> None:
    broken = "rules:\n  - name: x\n    kind: regex\n    pattern: '('\n    label: spam\n"
    for path, method in (("/api/rules/try", "POST"), ("/api/rules/file", "PUT")):
        response = server.client.request(
            method, path, json={"text": broken}, headers=server.headers("ada")
        )
        assert response.status_code == 422 and "regex" in response.json()["detail"].lower()
    unknown = "rules:\n  - name: x\n    kind: keywords\n    keywords: [a]\n    label: eggs\n"
    response = server.post("/api/rules/try", "ada", json={"text": unknown})
    assert response.status_code == 422 and "eggs" in response.json()["detail"]
    assert not (server.project.path / "rules.yaml").exists()
    assert server.post("/api/rules/try", "rev", json={"text": RULES}).status_code == 403


def test_import_an_uploaded_file(server: Server) -> None:
    csv = "id,text\nn1,new message one\nn2,new message two\n"
    files = {"file": ("more.csv", io.BytesIO(csv.encode()), "text/csv")}
    response = server.client.post(
        "/api/imports", files=files, data={"id_column": "id"}, headers=server.headers("ada")
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (
        body["items_added"] == 2
        and body["file"] == "more.csv"
        and "added 2 items" in body["summary"]
    )
    assert server.get("/api/stats", "ada").json()["items"] == 26
    bad = server.client.post(
        "/api/imports",
        files={"file": ("x.exe", io.BytesIO(b"MZ"), "application/octet-stream")},
        headers=server.headers("ada"),
    )
    assert bad.status_code == 422 and "Upload a file ending in" in bad.json()["detail"]
    missing = server.client.post(
        "/api/imports",
        files={"file": ("m.csv", io.BytesIO(b"id,body\nx,y\n"), "text/csv")},
        headers=server.headers("ada"),
    )
    assert missing.status_code == 422 and "text" in missing.json()["detail"]
    assert not [p for p in (server.project.path / "uploads").iterdir() if p.name.startswith("m-")]


def test_audit_log_pages_and_filters(server: Server) -> None:
    server.post("/api/me/keys", "ann", json={"name": "k"})
    server.client.patch("/api/users/ann2", json={"role": "reviewer"}, headers=server.headers("ada"))
    rows = server.get("/api/audit-log", "ada").json()
    assert [r["action"] for r in rows[:2]] == ["user.role", "api_key.add"]
    only = server.client.get(
        "/api/audit-log", params={"actor": "ann"}, headers=server.headers("ada")
    ).json()
    assert {r["actor"] for r in only} == {"ann"}
    older = server.client.get(
        "/api/audit-log", params={"before": rows[0]["id"]}, headers=server.headers("ada")
    ).json()
    assert older[0]["id"] < rows[0]["id"]
    assert server.get("/api/audit-log", "rev").status_code == 403


# -- defect 12 and the smaller things ---------------------------------------------------------
def test_head_healthz_favicon_and_private_database_files(
    server: Server, server_factory: Any
) -> None:
    assert server.client.head("/healthz").status_code == 200
    icon = server.client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    database = server.project.path / "labelmill.db"
    os.chmod(database, 0o644)
    server_factory(server.project.path).project.close()
    assert oct(database.stat().st_mode & 0o777) == "0o600"
    wal = database.with_name("labelmill.db-wal")
    if wal.exists():
        assert wal.stat().st_mode & 0o077 == 0


def test_every_rule_vote_on_the_demo_data_is_highlighted(tmp_path: Any) -> None:
    """Defect 8 on real data: 20 of 131 'money_or_free' votes (word_boundary: false) showed
    no highlight. Every keyword and regex vote must light up its own match."""
    from labelmill import Project
    from labelmill.demo import RULES, SAMPLE
    from labelmill.store import Source, Vote

    project = Project.init(tmp_path / "demo", classes=["spam", "ham"])
    project.import_items(SAMPLE, text_column="text", id_column="comment_id", meta_columns=[])
    project.register_rules(RULES)
    with project.store.session() as session:
        votes = session.execute(
            select(Item.payload, Source.name)
            .join(Vote, Vote.item_pk == Item.pk)
            .join(Source, Source.id == Vote.source_id)
            .where(Source.kind == "rule", Vote.label != -1)
        ).all()
    missing = [
        (name, text) for text, name in votes if not project.rule_spans(text, [f"rule:{name}"])
    ]
    assert len(votes) > 1000 and missing == []
    assert sum(name == "money_or_free" for _t, name in votes) > 100
    project.close()


def test_a_round_recorded_without_the_interval_s_upper_end_still_reads(server: Server) -> None:
    """Rounds recorded before the interval had both ends made /api/stats fail (500) once
    the dashboard read them through RoundResult; they read with the widest true interval."""
    old = {"auto_accuracy": {"estimate": 0.97, "lower": 0.956, "n": 90}, "n_human": 10}
    server.project.store.write(lambda s: s.add(Round(status="done", stage="done", results=old)))
    stats = server.get("/api/stats", "ann")
    assert stats.status_code == 200
    assert stats.json()["accuracy"]["auto"] == {
        "estimate": 0.97,
        "lower": 0.956,
        "upper": 1.0,
        "n": 90,
    }


def test_an_upload_over_the_limit_is_refused(server: Server, server_factory: Any) -> None:
    small = server_factory(server.project.path, max_upload_bytes=2048)
    files = {"file": ("big.csv", io.BytesIO(b"text\n" + b"x" * 5000 + b"\n"), "text/csv")}
    response = small.client.post("/api/imports", files=files, headers=small.headers("ada"))
    assert response.status_code == 413 and "larger than 2,048 bytes" in response.json()["detail"]
    small.project.close()


def test_hidden_metadata_stays_out_of_the_item_views(
    template_project: Any, tmp_path: Any, server_factory: Any
) -> None:
    """Trial: the item browser's API gave reviewers an item's hidden metadata (the true
    labels of a simulation, image class folders kept with --folder-labels meta)."""
    import shutil

    import pandas as pd

    from labelmill import Project

    folder = tmp_path / "proj"
    shutil.copytree(template_project, folder)
    project = Project.open(folder)
    frame = pd.DataFrame({"id": ["t1"], "text": ["a hidden truth"], "truth": ["spam"], "x": [1]})
    project.import_items(frame, id_column="id")
    project.save_settings(hidden_columns=("truth",))
    project.close()
    made = server_factory(folder)
    detail = made.get("/api/browse/items/t1", "rev").json()
    assert detail["meta"] == {"x": 1}
    assert made.get("/api/items/t1", "rev").json()["meta"] == {"x": 1}
    made.client.close()
    made.project.close()
