"""The REST API: authentication, roles, queues, leases, answers, undo, stats, admin routes."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from labelmill.store import Round

Server = Any  # tests/server/conftest.py: Server (app, project, client and helpers)
PASSWORD = "correct horse battery"  # the password of every user of the fixtures

API_ROUTES = [
    ("GET", "/api/me"),
    ("GET", "/api/items/next"),
    ("GET", "/api/items/m01"),
    ("POST", "/api/items/m01/answers"),
    ("POST", "/api/items/m01/undo"),
    ("DELETE", "/api/items/m01/answers"),
    ("GET", "/api/stats"),
    ("GET", "/api/export"),
    ("GET", "/api/users"),
    ("POST", "/api/users"),
    ("PATCH", "/api/users/ann"),
    ("DELETE", "/api/users/ann"),
    ("GET", "/api/rules"),
    ("GET", "/api/settings"),
    ("PATCH", "/api/settings"),
    ("GET", "/api/runs"),
    ("POST", "/api/runs"),
    ("GET", "/media/m01"),
]
ADMIN_ROUTES = [
    ("GET", "/api/users", None),
    ("POST", "/api/users", {"name": "eve", "password": "password99", "role": "admin"}),
    ("PATCH", "/api/users/ann", {"role": "admin"}),
    ("DELETE", "/api/users/ann", None),
    ("GET", "/api/rules", None),
    ("GET", "/api/settings", None),
    ("PATCH", "/api/settings", {"target_accuracy": 0.9}),
    ("GET", "/api/export?format=csv", None),
    ("GET", "/api/runs", None),
    ("POST", "/api/runs", {}),
]


# -- authentication -------------------------------------------------------------------------
def test_healthz_needs_no_login(server: Server) -> None:
    assert server.get("/healthz").json() == {"status": "ok"}


@pytest.mark.parametrize(("method", "path"), API_ROUTES)
def test_every_api_route_needs_a_login(shared_server: Server, method: str, path: str) -> None:
    response = shared_server.client.request(method, path, json={})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_token_login_and_me(server: Server) -> None:
    response = server.client.post("/api/auth/token", data={"username": "rev", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    me = server.client.get("/api/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {"name": "rev", "role": "reviewer", "via": "bearer"}


def test_wrong_password_is_401_and_rate_limited(server: Server) -> None:
    bad = {"username": "rev", "password": "wrong password"}
    for _ in range(5):
        assert server.client.post("/api/auth/token", data=bad).status_code == 401
    limited = server.client.post("/api/auth/token", data={"username": "rev", "password": PASSWORD})
    assert limited.status_code == 429
    assert "Too many failed logins" in limited.json()["detail"]
    assert int(limited.headers["retry-after"]) >= 1
    # Other names from the same address are not affected.
    ok = server.client.post("/api/auth/token", data={"username": "ada", "password": PASSWORD})
    assert ok.status_code == 200


def test_unknown_user_gets_the_same_401(server: Server) -> None:
    response = server.client.post(
        "/api/auth/token", data={"username": "nobody", "password": PASSWORD}
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "Wrong user name or password."


@pytest.mark.parametrize("token", ["garbage", "a.b", "eyJzdWIiOiJhZGEifQ.AAAA"])
def test_forged_tokens_are_401(server: Server, token: str) -> None:
    response = server.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_expired_and_wrong_kind_tokens_are_401(server: Server) -> None:
    signer = server.app.state.signer
    sid = server.project.open_session("ada", "access", seconds=3600)
    old = signer.sign("ada", kind="access", sid=sid, now=time.time() - signer.lifetime - 5)
    session = signer.sign("ada", kind="session", sid=sid)
    for token in (old, session):
        response = server.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
    basic = server.client.get("/api/me", headers={"Authorization": "Basic YWRhOng="})
    assert basic.status_code == 401


def test_disabled_user_token_stops_working(server: Server) -> None:
    assert server.get("/api/me", "ann").status_code == 200
    response = server.client.patch(
        "/api/users/ann", json={"active": False}, headers=server.headers("ada")
    )
    assert response.status_code == 200 and response.json()["active"] is False
    assert server.get("/api/me", "ann").status_code == 401


# -- roles ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES)
@pytest.mark.parametrize("user", ["ann", "rev"])
def test_admin_routes_forbid_others(
    shared_server: Server, method: str, path: str, body: Any, user: str
) -> None:
    server = shared_server
    response = server.client.request(method, path, json=body, headers=server.headers(user))
    assert response.status_code == 403
    assert "needs the role admin" in response.json()["detail"]


def test_annotator_cannot_use_the_audit_queue(server: Server) -> None:
    response = server.next("ann", "audit")
    assert response.status_code == 403
    assert server.next("rev", "audit").status_code == 200


def test_unknown_queue_is_422(server: Server) -> None:
    assert server.next("rev", "everything").status_code == 422


# -- queues and leases ------------------------------------------------------------------------
def test_next_shows_payload_and_classes_blind_in_audit(server: Server) -> None:
    body = server.next("rev").json()
    assert body["mode"] == "audit"  # no audit sample yet: review serves audit items first
    assert body["classes"] == ["spam", "ham"]
    assert body["payload"].startswith("message number")
    assert body["suggestion"] is None and body["confidence"] is None
    assert body["votes"] == [] and body["spans"] == []


def test_review_mode_shows_suggestion_votes_and_spans(
    server: Server, review_mode: Any, machine_label: Any
) -> None:
    review_mode(server.project)
    audit = server.next("ada", "audit").json()["item_id"]
    server.answer("ada", audit, "ham")  # fills the (tiny) audit sample
    machine_label(server.project, "m03", label=0, confidence=0.8)
    body = server.next("rev").json()
    assert body["item_id"] == "m03" and body["mode"] == "review"
    assert body["suggestion"] == "spam" and body["confidence"] == pytest.approx(0.8)
    assert body["votes"][0]["source"] == "rule:cash_rule"
    text = body["payload"]
    span = body["spans"][0]
    assert text[span["start"] : span["end"]] == "cash prize"
    # The reviewer's detail view shows the votes; an annotator sees the item blind.
    detail = server.get("/api/items/m03", "rev").json()
    assert detail["status"] == "review" and detail["votes"]


def test_two_users_never_get_the_same_review_item(server: Server) -> None:
    first = server.next("rev").json()["item_id"]
    second = server.next("ada").json()["item_id"]
    assert first != second
    assert server.next("rev").json()["item_id"] == first  # a reload gets the same item back


def test_concurrent_next_hands_out_distinct_items(server: Server, password_hash: str) -> None:
    from labelmill.store import User

    names = [f"w{i}" for i in range(8)]

    def add(session: Any) -> None:
        for n in names:
            session.add(User(name=n, role="reviewer", password_hash=password_hash, active=True))

    server.project.store.write(add)
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda n: server.next(n).json()["item_id"], names))
    assert len(set(got)) == len(names)


def test_empty_queue_is_204(server: Server) -> None:
    server.app.state.settings.lease_seconds = 60
    seen = set()
    for _ in range(30):
        response = server.next("rev")
        if response.status_code == 204:
            break
        item = response.json()["item_id"]
        seen.add(item)
        assert server.answer("rev", item, "ham").status_code == 201
    assert response.status_code == 204 and not response.content
    assert len(seen) == 24


def test_crowd_overlap_gives_an_item_to_distinct_people(server: Server) -> None:
    server.app.state.settings.overlap = 2
    a = server.next("ann", "crowd").json()
    b = server.next("ann2", "crowd").json()
    c = server.next("rev", "crowd").json()
    assert a["mode"] == "crowd" and a["suggestion"] is None and a["votes"] == []
    assert a["item_id"] == b["item_id"]  # two slots for two people
    assert c["item_id"] != a["item_id"]  # the item's slots are taken
    assert server.answer("ann", a["item_id"], "spam").status_code == 201
    assert server.answer("ann2", b["item_id"], "spam").status_code == 201
    assert server.next("ann", "crowd").json()["item_id"] != a["item_id"]
    stats = server.get("/api/stats", "ada").json()
    pair = stats["agreement"]["pairs"][0]
    assert pair["users"] == ["ann", "ann2"] and pair["shared"] == 1 and pair["agreement"] == 1.0


# -- answers ---------------------------------------------------------------------------------
def test_answer_is_201_and_counts(server: Server) -> None:
    item = server.next("ann").json()
    assert item["mode"] == "review"  # annotators take no part in blind audits
    response = server.answer("ann", item["item_id"], "spam")
    assert response.status_code == 201
    assert response.json() == {
        "item_id": item["item_id"],
        "queue": "review",
        "label": "spam",
        "skipped": False,
    }
    stats = server.get("/api/stats", "ann").json()
    assert stats["by_status"]["human"] == 1 and stats["answers"] == 1
    assert stats["answers_per_user"] == [{"user": "ann", "kind": "human", "answers": 1}]


def test_skip_records_no_answer_and_releases(server: Server) -> None:
    item = server.next("rev").json()["item_id"]
    response = server.post(f"/api/items/{item}/answers", "rev", json={"skip": True})
    assert response.status_code == 201 and response.json()["skipped"] is True
    stats = server.get("/api/stats", "rev").json()
    assert stats["answers"] == 0 and stats["leased"] == 0


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ({"label": "eggs"}, "not a class"),
        ({"label": ["spam", "ham"]}, "single-label"),
        ({"label": "spam", "skip": True}, "either a label or skip"),
        ({}, "a label is required"),
        ({"label": "spam", "extra": 1}, "Extra inputs"),
    ],
)
def test_bad_answers_are_422(server: Server, body: dict[str, Any], match: str) -> None:
    item = server.next("rev").json()["item_id"]
    response = server.post(f"/api/items/{item}/answers", "rev", json=body)
    assert response.status_code == 422
    assert match in str(response.json()["detail"])


def test_unknown_item_is_404(server: Server) -> None:
    assert server.answer("rev", "nope", "spam").status_code == 404
    assert server.get("/api/items/nope", "rev").status_code == 404
    assert server.post("/api/items/nope/undo", "rev").status_code == 404


def test_annotator_answers_only_assigned_items(server: Server) -> None:
    response = server.answer("ann", "m07", "spam")
    assert response.status_code == 403 and "not assigned" in response.json()["detail"]
    assert server.get("/api/items/m07", "ann").status_code == 403
    item = server.next("ann").json()["item_id"]
    detail = server.get(f"/api/items/{item}", "ann").json()
    assert "votes" not in detail and "label" not in detail  # blind


def test_undo_and_reanswer(server: Server) -> None:
    item = server.next("ann").json()["item_id"]
    server.answer("ann", item, "spam")
    undone = server.post(f"/api/items/{item}/undo", "ann").json()
    assert undone["undone"] is True and undone["queue"] == "review"
    assert undone["card"]["item_id"] == item and undone["card"]["mode"] == "review"
    assert server.get("/api/stats", "ann").json()["by_status"]["human"] == 0
    again = server.post(f"/api/items/{item}/undo", "ann")
    assert again.status_code == 404 and "no answer" in again.json()["detail"]
    # The annotator may answer the item again after an undo (same queue as before).
    response = server.answer("ann", item, "ham", queue="crowd")
    assert response.status_code == 201 and response.json()["queue"] == "review"
    deleted = server.client.delete(f"/api/items/{item}/answers", headers=server.headers("ann"))
    assert deleted.status_code == 200 and deleted.json()["card"]["item_id"] == item


# -- stats, admin ----------------------------------------------------------------------------
def test_stats_reads_the_last_round(server: Server) -> None:
    results = {
        "threshold": 0.9,
        "guarantee": "auto labels are >= 95% accurate",
        "auto_accuracy": {"estimate": 0.97, "lower": 0.95, "upper": 0.99, "bound": 0.95, "n": 80},
        "audit_accuracy": 0.91,
        "n_audit": 100,
        "n_human": 120,
        "counts": {"auto": 10},
        "summary": ["items: auto 10"],
    }
    server.project.store.write(lambda s: s.add(Round(status="done", stage="done", results=results)))
    stats = server.get("/api/stats", "ann").json()
    assert stats["accuracy"]["auto"]["lower"] == 0.95
    assert stats["accuracy"]["threshold"] == 0.9
    assert stats["curve"] == [
        {
            "round": 1,
            "n_human": 120,
            "n_audit": 100,
            "audit_accuracy": 0.91,
            "auto_estimate": 0.97,
            "auto_lower": 0.95,
            "auto_upper": 0.99,
            "auto": 10,
        }
    ]


def test_admin_users_crud(server: Server) -> None:
    h = server.headers("ada")
    created = server.client.post(
        "/api/users", headers=h, json={"name": "zoe", "password": "password12", "role": "reviewer"}
    )
    assert created.status_code == 201 and created.json()["role"] == "reviewer"
    names = [u["name"] for u in server.client.get("/api/users", headers=h).json()]
    assert names == ["ada", "ann", "ann2", "rev", "zoe"]
    changed = server.client.patch("/api/users/zoe", headers=h, json={"role": "annotator"})
    assert changed.json()["role"] == "annotator"
    assert server.client.delete("/api/users/zoe", headers=h).status_code == 204
    assert server.client.delete("/api/users/zoe2", headers=h).status_code == 404
    short = server.client.post(
        "/api/users", headers=h, json={"name": "x", "password": "short", "role": "admin"}
    )
    assert short.status_code == 422
    bad = server.client.post(
        "/api/users", headers=h, json={"name": "../x", "password": "password12", "role": "admin"}
    )
    assert bad.status_code == 422 and "user name must be" in bad.json()["detail"]


def test_admin_rules_settings_export(server: Server, machine_label: Any) -> None:
    machine_label(server.project, "m03", label=0, confidence=0.8)
    rules = server.get("/api/rules", "ada").json()
    assert rules == [
        {
            "name": "cash_rule",
            "version": "1",
            "active": True,
            "votes": 1,
            "coverage": pytest.approx(1 / 24),
        }
    ]
    h = server.headers("ada")
    changed = server.client.patch("/api/settings", headers=h, json={"target_accuracy": 0.9})
    assert changed.json()["target_accuracy"] == 0.9
    assert (
        server.client.patch("/api/settings", headers=h, json={"target_accuracy": 2}).status_code
        == 422
    )
    exported = server.get("/api/export?format=jsonl", "ada")
    assert exported.status_code == 200 and len(exported.text.splitlines()) == 24
    assert server.get("/api/export?format=xml", "ada").status_code == 422


def test_runs_start_in_background_and_report(server: Server, monkeypatch: Any) -> None:
    calls = []

    def fake_round(**params: Any) -> None:
        calls.append({k: v for k, v in params.items() if k != "actor"})
        server.project.store.write(lambda s: s.add(Round(status="running", stage="train")))
        time.sleep(0.3)

    monkeypatch.setattr(server.project, "run_round", fake_round, raising=False)
    started = server.post("/api/runs", "ada", json={"target_accuracy": 0.9})
    assert started.status_code == 202 and started.json()["state"] == "running"
    busy = server.post("/api/runs", "ada", json={})
    assert busy.status_code == 409 and "already running" in busy.json()["detail"]
    server.app.state.runner.join(5)
    runs = server.get("/api/runs", "ada").json()
    assert runs["job"]["state"] == "done" and runs["rounds"][0]["stage"] == "train"
    assert calls == [{"target_accuracy": 0.9}]


def test_failed_run_is_reported(server: Server, monkeypatch: Any) -> None:
    def boom(**params: Any) -> None:
        raise RuntimeError("no rules yet")

    monkeypatch.setattr(server.project, "run_round", boom, raising=False)
    server.post("/api/runs", "ada", json={})
    server.app.state.runner.join(5)
    job = server.get("/api/runs", "ada").json()["job"]
    assert job["state"] == "failed" and "no rules yet" in job["error"]


def test_openapi_lists_the_routes(server: Server) -> None:
    assert server.get("/openapi.json").status_code == 401  # behind login, like the API
    paths = server.get("/openapi.json", "ann").json()["paths"]
    assert {
        "/api/auth/token",
        "/api/items/next",
        "/api/items/{item_id}/answers",
        "/api/stats",
        "/media/{item_id}",
    } <= set(paths)


# -- both databases --------------------------------------------------------------------------
def test_labeling_flow_on_both_databases(any_server: Server) -> None:
    s = any_server
    first = s.next("rev").json()["item_id"]
    second = s.next("ada").json()["item_id"]
    assert first != second
    assert s.answer("rev", first, "spam").status_code == 201
    assert s.answer("ada", second, "ham").status_code == 201
    assert s.post(f"/api/items/{second}/undo", "ada").status_code == 200
    crowd = s.next("ann", "crowd").json()["item_id"]
    assert s.answer("ann", crowd, "ham").status_code == 201
    stats = s.get("/api/stats", "ann").json()
    assert stats["by_status"]["gold"] == 1
    assert {u["user"]: u["answers"] for u in stats["answers_per_user"]} == {"ann": 1, "rev": 1}


def test_settings_come_from_the_environment(monkeypatch: Any, tmp_path: Any) -> None:
    from labelmill.server import ServerSettings

    monkeypatch.setenv("LABELMILL_PROJECT", str(tmp_path))
    monkeypatch.setenv("LABELMILL_LEASE_SECONDS", "30")
    settings = ServerSettings()
    assert settings.project == tmp_path and settings.lease_seconds == 30
    with pytest.raises(ValueError, match="at least 16 characters"):
        ServerSettings(project=tmp_path, secret_key="short")


def test_create_app_opens_the_project_itself(server: Server, server_factory: Any) -> None:
    folder = server.project.path
    made = server_factory(folder)
    assert made.get("/api/me", "ada").json()["role"] == "admin"
    made.project.close()


def test_rule_spans_are_the_rules_own_matches(server: Server, tmp_path: Any) -> None:
    """Highlights come from each rule's own matcher: a case-sensitive rule does not light up
    other cases, and a rule with word_boundary: false matches inside words (the bug: spans
    were rebuilt as case-insensitive whole words)."""
    rules = tmp_path / "spans.yaml"
    rules.write_text(
        """
rules:
  - {name: money, kind: regex, pattern: '\\$\\d+', label: spam}
  - {name: shouty, kind: keywords, keywords: [WIN], case_sensitive: true, label: spam}
  - {name: inside, kind: keywords, keywords: [free], word_boundary: false, label: spam}
"""
    )
    project = server.project
    project.register_rules(rules)
    text = "WIN $100 or win; carefree!"
    names = ["rule:money", "rule:shouty", "rule:inside", "model:m", "human:ann"]
    spans = project.rule_spans(text, names)
    assert [(text[s["start"] : s["end"]], s["source"]) for s in spans] == [
        ("WIN", "shouty"),
        ("$100", "money"),
        ("free", "inside"),
    ]
    from labelmill.lf import load_rules

    for rule in load_rules(rules, classes=project.schema.classes):
        ours = {(s["start"], s["end"]) for s in spans if s["source"] == rule.name}
        assert ours == set(rule.spans(text)), rule.name
    assert project.rule_spans(text, ["human:ann"]) == []


def test_multilabel_and_tabular_projects(
    tmp_path: Any, password_hash: str, server_factory: Any
) -> None:
    import pandas as pd

    from labelmill import Project
    from labelmill.store import User

    folder = tmp_path / "multi"
    project = Project.init(
        folder,
        classes=["red", "green", "blue"],
        task="multilabel",
        data_type="tabular",
        fields=["size", "shape"],
    )
    project.import_items(pd.DataFrame({"size": [1, 2], "shape": ["round", "<b>square</b>"]}))
    project.store.write(
        lambda s: s.add(User(name="rev", role="reviewer", password_hash=password_hash, active=True))
    )
    project.close()
    s = server_factory(folder)
    item = s.next("rev").json()
    assert item["task"] == "multilabel" and item["data_type"] == "tabular"
    assert set(item["payload"]) == {"size", "shape"}
    response = s.answer("rev", item["item_id"], ["red", "blue"])
    assert response.status_code == 201 and response.json()["label"] == ["red", "blue"]
    other = s.next("rev").json()["item_id"]
    assert s.answer("rev", other, "green").json()["label"] == ["green"]  # one name is a set of one
    assert s.answer("rev", other, ["green", "pink"]).status_code == 422
    s.project.close()


def test_every_response_carries_the_security_headers(shared_server: Server) -> None:
    client = shared_server.client
    api, page = client.get("/api/me"), client.get("/login")  # a 401 gets them too
    for response in (api, page):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"
        assert "default-src 'self'" in response.headers["content-security-policy"]
    # Pages and API answers hold people's data: never cached (HTML included).
    assert api.headers["cache-control"] == "no-store"
    assert page.headers["cache-control"] == "no-store"
    static = client.get("/static/app.css")
    assert "no-store" not in static.headers.get("cache-control", "")


def test_dashboard_interval_comes_from_a_real_round(
    tmp_path: Any, password_hash: str, password: str
) -> None:
    """The dashboard's auto-accuracy interval has both ends after a real round certified a
    threshold (the bug: the round wrote no 'upper', the dashboard showed [lower, -])."""
    import numpy as np
    import pandas as pd

    from labelmill import Project
    from labelmill.server import ServerSettings, create_app
    from labelmill.store import User

    rng = np.random.default_rng(0)
    words = {"spam": ["win", "cash", "prize", "free"], "ham": ["lunch", "notes", "meeting"]}
    truth = ["spam" if i % 2 else "ham" for i in range(800)]
    texts = [f"{rng.choice(words[t])} {rng.choice(words[t])} {i}" for i, t in enumerate(truth)]
    ids = [f"m{i}" for i in range(800)]
    project = Project.init(
        tmp_path / "p",
        classes=["spam", "ham"],
        settings={"featurizer": {"kind": "hashing", "n_features": 128}},
    )
    project.import_items(pd.DataFrame({"id": ids, "text": texts}), id_column="id")
    answer = dict(zip(ids, truth, strict=True))
    for entry in project.next_items(60, queue="review", user="ann"):
        project.add_answer(entry.item_id, answer[entry.item_id], user="ann")
    project.run_round()
    for entry in project.next_items(200, queue="audit", user="ann"):
        project.add_answer(entry.item_id, answer[entry.item_id], user="ann", queue="audit")
    result = project.run_round()
    assert result.threshold is not None and result.auto_accuracy is not None
    project.store.write(
        lambda s: s.add(User(name="ada", role="admin", password_hash=password_hash, active=True))
    )
    from fastapi.testclient import TestClient

    app = create_app(ServerSettings(project=project.path, secret_key="k" * 32), project=project)
    with TestClient(app) as client:
        token = client.post(
            "/api/auth/token", data={"username": "ada", "password": password}
        ).json()["access_token"]
        stats = client.get("/api/stats", headers={"Authorization": f"Bearer {token}"}).json()
    auto = stats["accuracy"]["auto"]
    expected = result.auto_accuracy
    assert (auto["lower"], auto["upper"], auto["n"]) == (expected.lower, expected.upper, expected.n)
    assert auto["lower"] <= auto["estimate"] <= auto["upper"] <= 1.0
    assert stats["curve"][-1]["auto_upper"] == expected.upper
    project.close()


def test_reloading_mid_audit_keeps_the_item_blind(server: Server, machine_label: Any) -> None:
    """A reviewer reloads the labeling page while an audit item is on screen, after others
    filled the audit sample: the same item comes back blind, and the answer is recorded as
    the blind audit it was (the bug: it came back with the suggestion and votes)."""
    project = server.project
    project.save_settings(
        target_accuracy=0.6, confidence=0.6, audit_fraction=0.01, guarantee="per_round"
    )
    machine_label(project, "m03", label=0, confidence=0.8)
    for item in [f"m{i:02d}" for i in range(24)]:
        machine_label(project, item, label=0, confidence=0.7)
    from labelmill.store import Round

    project.store.write(lambda s: s.add(Round(status="done", stage="done")))
    first = server.next("rev").json()
    assert first["mode"] == "audit" and first["suggestion"] is None and first["spans"] == []
    for _ in range(4):  # others fill the audit sample meanwhile
        other = server.next("ada", "audit").json()
        server.answer("ada", other["item_id"], "ham")
    assert server.next("ada").json()["mode"] == "review"  # the quota now asks for review
    reload = server.next("rev").json()
    assert reload["item_id"] == first["item_id"]
    assert reload["mode"] == "audit" and reload["suggestion"] is None and reload["votes"] == []
    detail = server.get(f"/api/items/{first['item_id']}", "rev").json()
    assert detail["mode"] == "audit" and "votes" not in detail and "label" not in detail
    answered = server.answer("rev", first["item_id"], "spam")
    assert answered.status_code == 201 and answered.json()["queue"] == "audit"
    with project.store.session() as session:
        from labelmill.store.queries.sources import latest_answers

        recorded = {(pk, user, queue) for pk, _k, user, _l, queue in latest_answers(session)}
    assert any(user == "rev" and queue == "audit" for _pk, user, queue in recorded)
