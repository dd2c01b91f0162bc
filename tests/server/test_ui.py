"""Browser pages without a browser: login, cookies, CSRF, redirects, roles, escaping."""

from __future__ import annotations

import re
from typing import Any

import pytest

Server = Any
PASSWORD = "correct horse battery"


def login_form(server: Server) -> str:
    page = server.client.get("/login")
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def log_in(server: Server, name: str, password: str = PASSWORD, next_: str = "/label") -> Any:
    token = login_form(server)
    return server.client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": token, "next": next_},
        follow_redirects=False,
    )


def test_login_sets_safe_cookies(server: Server) -> None:
    response = log_in(server, "ann", next_="/dashboard")
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    cookies = {c.split("=", 1)[0]: c for c in response.headers.get_list("set-cookie")}
    session = cookies["labelmill_session"]
    assert "HttpOnly" in session and "SameSite=lax" in session and "Secure" not in session
    assert "HttpOnly" not in cookies["labelmill_csrf"]  # the page's script sends it back


def test_secure_cookie_flag(server: Server, server_factory: Any) -> None:
    from fastapi.testclient import TestClient

    secure = server_factory(server.project.path, cookie_secure=True)
    secure.client = TestClient(secure.app, base_url="https://testserver")
    response = log_in(secure, "ann")
    session = [c for c in response.headers.get_list("set-cookie") if "labelmill_session" in c][0]
    assert "Secure" in session
    secure.project.close()


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil"])
def test_login_never_redirects_off_site(server: Server, target: str) -> None:
    assert log_in(server, "ann", next_=target).headers["location"] == "/label"


def test_wrong_password_page_is_401_and_escaped(server: Server) -> None:
    response = log_in(server, "<script>alert(1)</script>", password="wrong password")
    assert response.status_code == 401
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_login_form_needs_its_csrf_token(server: Server) -> None:
    login_form(server)
    response = server.client.post(
        "/login", data={"username": "ann", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403 and "expired" in response.text


def test_login_page_is_rate_limited(server: Server) -> None:
    for _ in range(5):
        assert log_in(server, "rev", password="nope nope").status_code == 401
    assert log_in(server, "rev").status_code == 429


def test_session_writes_need_the_csrf_header(server: Server) -> None:
    log_in(server, "ann")
    item = server.client.get("/api/items/next?queue=crowd").json()["item_id"]
    url = f"/api/items/{item}/answers"
    missing = server.client.post(url, json={"label": "spam"})
    assert missing.status_code == 403 and "CSRF" in missing.json()["detail"]
    wrong = server.client.post(url, json={"label": "spam"}, headers={"X-CSRF-Token": "x" * 43})
    assert wrong.status_code == 403
    csrf = server.client.cookies.get("labelmill_csrf")
    ok = server.client.post(url, json={"label": "spam"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201


@pytest.mark.parametrize("page", ["/label", "/dashboard", "/admin/users", "/admin/rounds"])
def test_pages_redirect_to_login(server: Server, page: str) -> None:
    response = server.client.get(page, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


@pytest.mark.parametrize("page", ["/admin/users", "/admin/rounds"])
def test_admin_pages_forbid_annotators(server: Server, page: str) -> None:
    log_in(server, "ann")
    assert server.client.get(page).status_code == 403


def test_pages_render_for_an_admin(server: Server) -> None:
    log_in(server, "ada")
    for page in ("/label?queue=audit", "/dashboard", "/admin/users", "/admin/rounds"):
        response = server.client.get(page)
        assert response.status_code == 200, page
        assert "default-src 'self'" in response.headers["content-security-policy"]
    assert server.client.get("/", follow_redirects=False).headers["location"] == "/label"


def test_label_page_hides_the_audit_queue_from_annotators(server: Server) -> None:
    log_in(server, "ann")
    page = server.client.get("/label?queue=audit").text
    assert "queue=audit" not in page and '"queue": "review"' in page


def test_logout_needs_csrf_and_clears_the_session(server: Server) -> None:
    log_in(server, "ann")
    assert server.client.post("/logout", data={"csrf_token": "nope"}).status_code == 403
    csrf = server.client.cookies.get("labelmill_csrf")
    response = server.client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    server.client.cookies.clear()
    assert server.client.get("/api/me").status_code == 401


def test_static_assets_use_text_content_only(server: Server) -> None:
    for name in ("api.js", "label.js", "dashboard.js", "users.js", "rounds.js", "charts.js"):
        source = server.client.get(f"/static/{name}").text
        assert "innerHTML" not in source and "insertAdjacentHTML" not in source, name


def test_project_page_says_when_the_server_overrides_the_crowd_overlap(
    template_project: Any, tmp_path: Any, server_factory: Any
) -> None:
    """Trial: served with --overlap 2, the Project page showed (and let admins save) the
    project's overlap, 3, which the crowd queue then ignored without a word."""
    import shutil

    folder = tmp_path / "proj"
    shutil.copytree(template_project, folder)
    made = server_factory(folder, overlap=2)
    log_in(made, "ada")
    page = made.client.get("/admin/project").text
    assert "started with --overlap 2" in page
    made.client.close()
    made.project.close()
    plain = server_factory(folder)
    log_in(plain, "ada")
    assert "started with --overlap" not in plain.client.get("/admin/project").text
    plain.client.close()
    plain.project.close()
