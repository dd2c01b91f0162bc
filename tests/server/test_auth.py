"""Doors: revocable sessions and tokens, API keys, password change, login limits, the
API reference without a CDN, the last admin, answering someone else's item."""

from __future__ import annotations

import re
import socket
import threading
import time
from typing import Any

import pytest

Server = Any
PASSWORD = "correct horse battery"


def browser_login(server: Server, name: str, password: str = PASSWORD) -> Any:
    """Log in through the login page with the server's own client (keeps its cookies)."""
    page = server.client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return server.client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": token, "next": "/label"},
        follow_redirects=False,
    )


def fresh_client(server: Server) -> Any:
    from fastapi.testclient import TestClient

    return TestClient(server.app)


# -- defect 4: sessions and tokens end when they should ---------------------------------------
def test_logout_ends_the_session_a_replayed_cookie_is_refused(server: Server) -> None:
    """The bug: logout only deleted the cookie in the browser; a copy stayed valid 8 hours."""
    assert browser_login(server, "ann").status_code == 303
    cookie = server.client.cookies.get("labelmill_session")
    csrf = server.client.cookies.get("labelmill_csrf")
    assert server.client.get("/api/me").status_code == 200
    out = server.client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    replay = fresh_client(server)
    replay.cookies.set("labelmill_session", cookie)
    response = replay.get("/api/me")
    assert response.status_code == 401 and "ended" in response.json()["detail"]
    page = replay.get("/label", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_password_change_ends_other_sessions_and_tokens_but_keeps_this_one_and_keys(
    server: Server,
) -> None:
    """The bug: a password change left every cookie and API token valid."""
    other = fresh_client(server)
    token = other.post("/api/auth/token", data={"username": "rev", "password": PASSWORD}).json()
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    key = server.post("/api/me/keys", "rev", json={"name": "script"}).json()["key"]
    assert browser_login(server, "rev").status_code == 303
    csrf = {"X-CSRF-Token": server.client.cookies.get("labelmill_csrf")}
    changed = server.client.post(
        "/api/me/password", json={"current": PASSWORD, "new": "a new long password"}, headers=csrf
    )
    assert changed.status_code == 200
    assert server.client.get("/api/me").status_code == 200  # the session that changed it
    assert other.get("/api/me", headers=bearer).status_code == 401  # an older token
    assert other.get("/api/me", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert (
        other.post(
            "/api/auth/token", data={"username": "rev", "password": "a new long password"}
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("body", "code", "match"),
    [
        ({"current": "wrong password", "new": "another password"}, 401, "Wrong user name"),
        ({"current": PASSWORD, "new": "short"}, 422, "at least 8"),
        ({"current": PASSWORD, "new": PASSWORD}, 422, "same as the current"),
    ],
)
def test_password_change_errors(
    server: Server, body: dict[str, str], code: int, match: str
) -> None:
    response = server.post("/api/me/password", "ann", json=body)
    assert response.status_code == code
    assert match in str(response.json()["detail"])


def test_admin_password_reset_and_disabling_end_every_way_in(server: Server) -> None:
    key = server.post("/api/me/keys", "ann", json={"name": "k"}).json()["key"]
    assert server.get("/api/me", "ann").status_code == 200
    reset = server.client.patch(
        "/api/users/ann", json={"password": "reset password 1"}, headers=server.headers("ada")
    )
    assert reset.status_code == 200
    assert server.get("/api/me", "ann").status_code == 401
    assert (
        server.client.get("/api/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    )


def test_api_keys_are_shown_once_work_and_are_revoked_one_by_one(server: Server) -> None:
    made = server.post("/api/me/keys", "ann", json={"name": "nightly import"})
    assert made.status_code == 201
    body = made.json()
    key, key_id = body["key"], body["id"]
    assert key.startswith("lm_") and body["name"] == "nightly import"
    second = server.post("/api/me/keys", "ann", json={"name": "other"}).json()["key"]
    listed = server.get("/api/me/keys", "ann").json()
    assert {k["name"] for k in listed} == {"nightly import", "other"}
    assert all(k["key"] is None for k in listed)  # the secret is never shown again
    as_key = {"Authorization": f"Bearer {key}"}
    me = server.client.get("/api/me", headers=as_key).json()
    assert me == {"name": "ann", "role": "annotator", "via": "api_key"}
    assert server.client.get("/api/items/next", headers=as_key).status_code == 200
    assert (
        server.client.delete(f"/api/me/keys/{key_id}", headers=server.headers("ann")).status_code
        == 204
    )
    assert server.client.get("/api/me", headers=as_key).status_code == 401
    assert (
        server.client.get("/api/me", headers={"Authorization": f"Bearer {second}"}).status_code
        == 200
    )
    gone = server.client.delete(f"/api/me/keys/{key_id}x", headers=server.headers("ann"))
    assert gone.status_code == 404 and "no API key" in gone.json()["detail"]
    # Someone else's key id is not yours to revoke.
    theirs = server.client.delete(f"/api/me/keys/{key_id}", headers=server.headers("rev"))
    assert theirs.status_code == 404


@pytest.mark.parametrize(
    "token", ["lm_", "lm_abc", "lm_abc_def", "lm_" + "0" * 16 + "_" + "x" * 43]
)
def test_bad_api_keys_are_401(server: Server, token: str) -> None:
    response = server.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and "API key" in response.json()["detail"]


def test_api_key_needs_a_name(server: Server) -> None:
    response = server.post("/api/me/keys", "ann", json={"name": ""})
    assert response.status_code == 422


def test_library_functions_for_sessions_raise_with_reasons(server: Server) -> None:
    from labelmill.exceptions import AuthError, ConfigError, NotFoundError

    project = server.project
    sid = project.open_session("ann", "session", seconds=60)
    assert project.check_session(sid, "ann", "session").name == "ann"
    with pytest.raises(AuthError, match="does not match"):
        project.check_session(sid, "rev", "session")
    with pytest.raises(AuthError, match="unknown"):
        project.check_session("nope", "ann", "session")
    expired = project.open_session("ann", "access", seconds=-1)
    with pytest.raises(AuthError, match="expired"):
        project.check_session(expired, "ann", "access")
    with pytest.raises(ConfigError, match="A login opens a session or access"):
        project.open_session("ann", "api_key", seconds=60)
    with pytest.raises(NotFoundError, match="No user named 'ghost'"):
        project.open_session("ghost", "session", seconds=60)
    project.revoke_session(sid)
    project.revoke_session(sid)  # twice is fine
    with pytest.raises(AuthError, match="ended"):
        project.check_session(sid, "ann", "session")
    with pytest.raises(ConfigError, match="needs a name"):
        project.create_api_key("ann", "  ")


# -- defect 5: login limits -------------------------------------------------------------------
def test_password_spraying_from_one_address_is_limited(server_factory: Any, server: Server) -> None:
    """The bug: only (name, address) pairs were limited, so one address could try one
    password on every name, each try costing an Argon2 hash."""
    made = server_factory(server.project.path, login_per_address=4)
    names = [f"name{i}" for i in range(6)]
    codes = [
        made.client.post(
            "/api/auth/token", data={"username": n, "password": "guess guess"}
        ).status_code
        for n in names
    ]
    assert codes[:4] == [401] * 4 and codes[4:] == [429, 429]
    blocked = made.client.post("/api/auth/token", data={"username": "rev", "password": PASSWORD})
    assert blocked.status_code == 429 and "from your address" in blocked.json()["detail"]
    made.project.close()


def test_throttled_logins_cost_no_password_hash(
    server_factory: Any, server: Server, monkeypatch: Any
) -> None:
    import labelmill.users

    made = server_factory(server.project.path, login_overall=3, login_per_address=100)
    hashes = []
    real = labelmill.users.verify_user

    def counting(*args: Any, **kwargs: Any) -> Any:
        hashes.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(labelmill.users, "verify_user", counting)
    for i in range(8):
        made.client.post("/api/auth/token", data={"username": f"n{i}", "password": "x" * 9})
    assert len(hashes) == 3  # the other five were refused before hashing
    last = made.client.post("/api/auth/token", data={"username": "n9", "password": "x" * 9})
    assert last.status_code == 429 and "on this server" in last.json()["detail"]
    made.project.close()


def test_login_limiter_counts_names_addresses_and_the_whole_server() -> None:
    from fastapi import HTTPException

    from labelmill.server.auth import LoginLimiter

    limiter = LoginLimiter(2, window=60, per_address=3, per_name=4, overall=8)
    limiter.failed("ada", "1.1.1.1")
    limiter.failed("bob", "1.1.1.1")
    limiter.failed("cat", "1.1.1.1")
    with pytest.raises(HTTPException, match="from your address"):
        limiter.check("dan", "1.1.1.1")
    for i in range(4):
        limiter.failed("eve", f"2.2.2.{i}")
    with pytest.raises(HTTPException, match="from several places"):
        limiter.check("eve", "9.9.9.9")
    limiter.check("fay", "9.9.9.9")  # 7 failures on the server: still allowed
    limiter.failed("fay", "8.8.8.8")
    with pytest.raises(HTTPException, match="on this server") as caught:
        limiter.check("gus", "7.7.7.7")
    assert caught.value.status_code == 429 and int(caught.value.headers["Retry-After"]) >= 1
    limiter.succeeded("ada", "1.1.1.1")  # forgets the pair only
    with pytest.raises(HTTPException, match="from your address"):
        limiter.check("ada", "1.1.1.1")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_x_forwarded_for_is_not_believed_unless_the_proxy_is_named(
    server_factory: Any, server: Server
) -> None:
    """The bug: uvicorn believes X-Forwarded-For from 127.0.0.1 by default, so rotating the
    header gave every try a fresh address. ``labelmill serve`` runs uvicorn with
    :func:`uvicorn_options`; here a real uvicorn does the same."""
    import httpx
    import uvicorn

    from labelmill.server.settings import ServerSettings, uvicorn_options

    assert uvicorn_options(ServerSettings(project=server.project.path)) == {
        "proxy_headers": False,
        "forwarded_allow_ips": "",
    }
    trusted = ServerSettings(project=server.project.path, trusted_proxies=["10.0.0.1"])
    assert uvicorn_options(trusted) == {"proxy_headers": True, "forwarded_allow_ips": "10.0.0.1"}

    made = server_factory(server.project.path, login_attempts=3)
    port = _free_port()
    options = uvicorn_options(made.app.state.settings)
    config = uvicorn.Config(made.app, host="127.0.0.1", port=port, log_level="warning", **options)
    live = uvicorn.Server(config)
    thread = threading.Thread(target=live.run, daemon=True)
    thread.start()
    while not live.started:
        time.sleep(0.05)
    try:
        codes = []
        for i in range(5):
            response = httpx.post(
                f"http://127.0.0.1:{port}/api/auth/token",
                data={"username": "rev", "password": "wrong password"},
                headers={"X-Forwarded-For": f"203.0.113.{i}"},
            )
            codes.append(response.status_code)
        assert codes == [401, 401, 401, 429, 429]
    finally:
        live.should_exit = True
        thread.join(10)
        made.project.close()


def test_serve_passes_the_proxy_options_to_uvicorn(server: Server, monkeypatch: Any) -> None:
    import uvicorn
    from click.testing import CliRunner

    from labelmill.cli.server_commands import serve

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(kw))
    folder = str(server.project.path)
    assert CliRunner().invoke(serve, [folder, "--port", "9"]).exit_code == 0
    assert seen["proxy_headers"] is False
    CliRunner().invoke(
        serve, [folder, "--trusted-proxy", "10.1.1.1", "--trusted-proxy", "10.1.1.2"]
    )
    assert seen["proxy_headers"] is True and seen["forwarded_allow_ips"] == "10.1.1.1,10.1.1.2"


# -- defect 6: no CDN, behind login ------------------------------------------------------------
def test_api_reference_is_served_by_the_app_behind_login(server: Server) -> None:
    """The bug: /docs and /redoc loaded Swagger UI and ReDoc from a public CDN, without a
    CSP, on the app's origin, open to anyone."""
    assert server.client.get("/redoc").status_code == 404
    assert server.client.get("/docs", follow_redirects=False).status_code == 303
    assert server.get("/openapi.json").status_code == 401
    browser_login(server, "ann")
    page = server.client.get("/docs")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    script = server.client.get("/static/docs.js").text
    assert "https://" not in script and "innerHTML" not in script
    assert "/api/items/next" in server.client.get("/openapi.json").json()["paths"]


# -- defect 10: the last admin; someone else's item -------------------------------------------
@pytest.mark.parametrize(
    ("method", "body"),
    [("PATCH", {"role": "reviewer"}), ("PATCH", {"active": False}), ("DELETE", None)],
)
def test_the_last_admin_cannot_demote_disable_or_remove_themself(
    server: Server, method: str, body: Any
) -> None:
    response = server.client.request(
        method, "/api/users/ada", json=body, headers=server.headers("ada")
    )
    assert response.status_code == 422 and "last admin" in response.json()["detail"]
    assert server.get("/api/me", "ada").json()["role"] == "admin"
    # With a second admin, it is allowed.
    server.client.patch("/api/users/rev", json={"role": "admin"}, headers=server.headers("ada"))
    again = server.client.request(
        method, "/api/users/ada", json=body, headers=server.headers("ada")
    )
    assert again.status_code in (200, 204)


def test_a_reviewer_cannot_answer_an_item_leased_to_an_annotator(
    server: Server, review_mode: Any
) -> None:
    review_mode(server.project)
    item = server.next("ann").json()["item_id"]
    response = server.answer("rev", item, "spam")
    assert response.status_code == 422 and "being labeled by ann" in response.json()["detail"]
    assert server.answer("ann", item, "ham").status_code == 201


# -- doors: bodies ----------------------------------------------------------------------------
def test_huge_bodies_are_refused_before_they_are_read(server: Server) -> None:
    big = '{"label": "' + "a" * (3 * 1024 * 1024) + '"}'
    response = server.client.post(
        "/api/items/m01/answers",
        content=big,
        headers={**server.headers("rev"), "Content-Type": "application/json"},
    )
    assert response.status_code == 413 and "larger than" in response.json()["detail"]

    def chunks() -> Any:
        for _ in range(40):
            yield b" " * 100_000

    streamed = server.client.post(
        "/api/items/m01/comments",
        content=chunks(),
        headers={**server.headers("rev"), "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
    long_label = server.post("/api/items/m01/answers", "rev", json={"label": "s" * 201})
    assert long_label.status_code == 422
    many = server.post("/api/items/m01/answers", "rev", json={"label": ["spam"] * 65})
    assert many.status_code == 422
    nested = server.client.post(
        "/api/items/m01/answers",
        content="[" * 100_000 + "]" * 100_000,
        headers={**server.headers("rev"), "Content-Type": "application/json"},
    )
    assert nested.status_code in (400, 422)
