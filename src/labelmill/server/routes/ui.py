"""Browser pages: login, labeling, item browser, dashboard, account, admin, API reference.
Pages are shells; data comes from /api."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from labelmill.exceptions import AuthError
from labelmill.server.auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    Principal,
    authenticate,
    issue_token,
)
from labelmill.server.deps import CurrentUser
from labelmill.server.routes.api import login
from labelmill.users import SESSION

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "labelmill_login_csrf"
QUEUE_NAMES = ("review", "audit", "crowd")
SKIP_REASONS = ("unclear", "broken", "not sure which class", "offensive or private")


def _render(request: Request, template: str, code: int = 200, **context: Any) -> HTMLResponse:
    state = request.app.state
    context.setdefault("user", None)
    context.setdefault("csrf", "")
    context.setdefault("page", template.removesuffix(".html"))
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


def _page_user(request: Request, *, role: tuple[str, ...] = ()) -> tuple[Principal, str] | Response:
    try:
        user = authenticate(request)
    except HTTPException:
        user = None
    if user is None or user.via != "session":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status.HTTP_303_SEE_OTHER)
    csrf = request.cookies.get(CSRF_COOKIE, "")
    if role and user.role not in role:
        needed = " or ".join(role)
        return _render(request, "forbidden.html", 403, user=user, csrf=csrf, needed=needed)
    return user, csrf


def _page(
    request: Request, template: str, *, role: tuple[str, ...] = (), **context: Any
) -> Response:
    got = _page_user(request, role=role)
    if isinstance(got, Response):
        return got
    user, csrf = got
    return _render(request, template, user=user, csrf=csrf, **context)


@router.get("/", response_class=HTMLResponse)
def home() -> Response:
    return RedirectResponse("/label", status.HTTP_303_SEE_OTHER)


@router.api_route("/healthz", methods=["GET", "HEAD"], include_in_schema=True, tags=["health"])
def healthz() -> dict[str, str]:
    """Liveness probe (no authentication; GET or HEAD)."""
    return {"status": "ok"}


@router.get("/favicon.ico")
def favicon(request: Request) -> FileResponse:
    return FileResponse(
        request.app.state.static_dir / "favicon.svg",
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )


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
    session = await run_in_threadpool(issue_token, request, name, SESSION)
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
    """End this session: its cookie stops working everywhere, at once."""
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not (expected and hmac.compare_digest(expected, csrf_token)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="Missing or wrong CSRF token.")
    state = request.app.state
    try:  # the form's CSRF token was checked above; the header is not sent by a form
        name, sid = state.signer.verify(request.cookies.get(SESSION_COOKIE, ""), kind=SESSION)
    except AuthError:
        sid = ""  # no session, or a forged one: nothing to end
    if sid:
        state.project.revoke_session(sid, actor=name)
    response = RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


@router.get("/label", response_class=HTMLResponse)
def label_page(request: Request, queue: str = "review", item: str | None = None) -> Response:
    got = _page_user(request)
    if isinstance(got, Response):
        return got
    user, csrf = got
    if queue not in QUEUE_NAMES:
        queue = "review"
    if queue == "audit" and not user.is_reviewer:
        queue = "review"
    queues = [q for q in QUEUE_NAMES if q != "audit" or user.is_reviewer]
    schema = request.app.state.project.schema
    classes = [
        {
            "name": c,
            "description": schema.class_info[c].description if c in schema.class_info else "",
            "color": schema.class_info[c].color if c in schema.class_info else "",
            "key": schema.class_info[c].key if c in schema.class_info else "",
        }
        for c in schema.classes
    ]
    config = {
        "queue": queue,
        "classes": classes,
        "task": schema.task,
        "data_type": schema.data_type,
        "reasons": list(SKIP_REASONS),
        "item": item,
        "user": user.name,
        "poll_ms": int(1000 * request.app.state.settings.empty_poll_seconds),
    }
    return _render(
        request,
        "label.html",
        user=user,
        csrf=csrf,
        queue=queue,
        queues=queues,
        config=config,
        guidelines=schema.guidelines,
    )


@router.get("/browse", response_class=HTMLResponse)
def browse_page(request: Request) -> Response:
    return _page(request, "browse.html", role=("admin", "reviewer"))


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request) -> Response:
    return _page(request, "dashboard.html")


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request) -> Response:
    return _page(request, "account.html")


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request) -> Response:
    return _page(request, "users.html", role=("admin",))


@router.get("/admin/rounds", response_class=HTMLResponse)
def rounds_page(request: Request) -> Response:
    settings = request.app.state.project.settings
    return _page(request, "rounds.html", role=("admin",), settings=settings)


@router.get("/admin/rules", response_class=HTMLResponse)
def rules_page(request: Request) -> Response:
    return _page(request, "rules.html", role=("admin",))


@router.get("/admin/project", response_class=HTMLResponse)
def project_page(request: Request) -> Response:
    settings = request.app.state.project.settings
    return _page(
        request,
        "project.html",
        role=("admin",),
        settings=settings,
        server_overlap=request.app.state.settings.overlap,
    )


@router.get("/admin/log", response_class=HTMLResponse)
def log_page(request: Request) -> Response:
    return _page(request, "log.html", role=("admin",))


@router.get("/docs", response_class=HTMLResponse)
def docs_page(request: Request) -> Response:
    """The API reference, drawn from /openapi.json by the page itself (nothing from a CDN)."""
    return _page(request, "docs.html")


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, user: CurrentUser) -> JSONResponse:
    """The OpenAPI description of the REST API (needs a login, like the API itself)."""
    return JSONResponse(request.app.openapi())
