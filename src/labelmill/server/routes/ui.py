"""Browser pages: login, labeling, dashboard, admin. Pages are shells; data comes from /api."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from labelmill.exceptions import AuthError
from labelmill.server.auth import CSRF_COOKIE, SESSION_COOKIE, Principal, authenticate
from labelmill.server.routes.api import login

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "labelmill_login_csrf"
QUEUE_NAMES = ("review", "audit", "crowd")


def _render(request: Request, template: str, code: int = 200, **context: Any) -> HTMLResponse:
    state = request.app.state
    context.setdefault("user", None)
    context.setdefault("csrf", "")
    return state.templates.TemplateResponse(
        request,
        template,
        {"project": state.project.name, "schema": state.project.schema, **context},
        status_code=code,
    )


def _safe_next(target: str | None) -> str:
    # Only local paths: "/x" but never "//host" or "/\\host" (open redirects).
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/label"


def _page_user(request: Request, *, admin: bool = False) -> tuple[Principal, str] | Response:
    try:
        user = authenticate(request)
    except HTTPException:
        user = None
    if user is None or user.via != "session":
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status.HTTP_303_SEE_OTHER)
    if admin and user.role != "admin":
        return _render(
            request, "forbidden.html", 403, user=user, csrf=request.cookies.get(CSRF_COOKIE, "")
        )
    return user, request.cookies.get(CSRF_COOKIE, "")


@router.get("/", response_class=HTMLResponse)
def home() -> Response:
    return RedirectResponse("/label", status.HTTP_303_SEE_OTHER)


@router.get("/healthz", include_in_schema=True, tags=["health"])
def healthz() -> dict[str, str]:
    """Liveness probe (no authentication)."""
    return {"status": "ok"}


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/label") -> Response:  # noqa: A002
    token = secrets.token_urlsafe(24)
    response = _render(request, "login.html", login_csrf=token, next=_safe_next(next))
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.cookie_secure,
        max_age=3600,
    )
    return response


@router.post("/login", response_class=HTMLResponse)
async def login_submit(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/label",  # noqa: A002
) -> Response:
    state = request.app.state
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not (cookie and csrf_token and hmac.compare_digest(cookie, csrf_token)):
        return _render(
            request,
            "login.html",
            403,
            error="The form expired; please try again.",
            login_csrf=cookie,
            next=_safe_next(next),
        )
    try:
        name = await run_in_threadpool(login, request, username, password)
    except AuthError as exc:
        return _render(
            request,
            "login.html",
            401,
            error=str(exc),
            login_csrf=cookie,
            next=_safe_next(next),
            username=username,
        )
    except HTTPException as exc:  # 429 from the rate limit
        return _render(
            request,
            "login.html",
            exc.status_code,
            error=exc.detail,
            login_csrf=cookie,
            next=_safe_next(next),
            username=username,
        )
    session = state.signer.sign(name, kind="session")
    response = RedirectResponse(_safe_next(next), status.HTTP_303_SEE_OTHER)
    secure = state.settings.cookie_secure
    lifetime = state.settings.token_seconds
    response.set_cookie(
        SESSION_COOKIE, session, httponly=True, samesite="lax", secure=secure, max_age=lifetime
    )
    response.set_cookie(
        CSRF_COOKIE,
        state.signer.csrf_for(session),
        httponly=False,
        samesite="lax",
        secure=secure,
        max_age=lifetime,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not (expected and hmac.compare_digest(expected, csrf_token)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="Missing or wrong CSRF token.")
    response = RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


@router.get("/label", response_class=HTMLResponse)
def label_page(request: Request, queue: str = "review") -> Response:
    got = _page_user(request)
    if isinstance(got, Response):
        return got
    user, csrf = got
    if queue not in QUEUE_NAMES:
        queue = "review"
    if queue == "audit" and not user.is_reviewer:
        queue = "review"
    queues = [q for q in QUEUE_NAMES if q != "audit" or user.is_reviewer]
    return _render(request, "label.html", user=user, csrf=csrf, queue=queue, queues=queues)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request) -> Response:
    got = _page_user(request)
    if isinstance(got, Response):
        return got
    user, csrf = got
    return _render(request, "dashboard.html", user=user, csrf=csrf)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request) -> Response:
    got = _page_user(request, admin=True)
    if isinstance(got, Response):
        return got
    user, csrf = got
    return _render(request, "users.html", user=user, csrf=csrf)


@router.get("/admin/rounds", response_class=HTMLResponse)
def rounds_page(request: Request) -> Response:
    got = _page_user(request, admin=True)
    if isinstance(got, Response):
        return got
    user, csrf = got
    return _render(
        request, "rounds.html", user=user, csrf=csrf, settings=request.app.state.project.settings
    )
