"""The application factory of ``labelmill serve``."""

from __future__ import annotations

import contextlib
import gc
import logging
import secrets
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from labelmill import __version__
from labelmill.project import Project
from labelmill.server import service
from labelmill.server.auth import LoginLimiter, SharedLoginLimiter, TokenSigner
from labelmill.server.errors import install_error_handlers
from labelmill.server.jobs import RoundRunner
from labelmill.server.routes import account, admin, api, browse, media, ui
from labelmill.server.settings import ServerSettings
from labelmill.users import private_store_files

__all__ = ["app_from_environment", "create_app"]

logger = logging.getLogger(__name__)
_HERE = Path(__file__).parent
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def create_app(settings: ServerSettings, *, project: Project | None = None) -> FastAPI:
    """Build the FastAPI application serving one project.

    Parameters
    ----------
    settings : ServerSettings
        Project path, database URL, secret key, lease and overlap, cookie flags.
    project : Project, optional
        An already opened project (tests); default: opened from ``settings``. An opened
        project passed in is not closed by the app.

    Returns
    -------
    fastapi.FastAPI
    """
    # Serving an item needs labelmill.quality (slow to import): load it now, not on a request.
    import labelmill.quality  # noqa: F401

    owned = project is None
    opened = (
        project
        if project is not None
        else Project.open(settings.project, db_url=settings.database_url)
    )
    opened.store.analyze()  # SQLite's planner needs table statistics to serve fast
    private_store_files(opened.store)
    secret = settings.secret_key
    if secret is None:
        secret = secrets.token_urlsafe(32)
        logger.warning("no secret key set (LABELMILL_SECRET_KEY): sessions end at restart")

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # What start-up loaded (the web stack, SQLAlchemy, numpy, scikit-learn...) lives as
        # long as the server: take it out of the garbage collector's full passes, which
        # otherwise stall every request for 100+ ms each time they walk it.
        gc.collect()
        gc.freeze()
        yield
        app.state.runner.join(timeout=1.0)
        if owned:
            opened.close()

    app = FastAPI(
        title="labelmill",
        version=__version__,
        summary="Label data sets: review, audit and crowd queues, stats and administration.",
        lifespan=lifespan,
        # Swagger UI and ReDoc load script from a public CDN: not on this origin. /docs is
        # the package's own page, /openapi.json needs a login (routes/ui.py).
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.project = opened
    app.state.signer = TokenSigner(secret, settings.token_seconds)
    limits = {
        "per_address": settings.login_per_address,
        "per_name": settings.login_per_name,
        "overall": settings.login_overall,
    }
    if settings.workers > 1 or opened.store.dialect != "sqlite":  # several processes count
        app.state.limiter = SharedLoginLimiter(
            opened, settings.login_attempts, settings.login_window_seconds, **limits
        )
    else:
        app.state.limiter = LoginLimiter(
            settings.login_attempts, settings.login_window_seconds, **limits
        )
    app.state.runner = RoundRunner(opened)
    app.state.write_lock = _write_lock_for(opened)
    app.state.stats_cache = service.TTLCache(settings.stats_cache_seconds)
    app.state.progress_cache = service.TTLCache(settings.progress_cache_seconds)
    app.state.static_dir = _HERE / "static"
    templates = Jinja2Templates(directory=str(_HERE / "templates"))  # autoescape on for .html
    app.state.templates = templates

    install_error_handlers(app)
    app.include_router(api.router)
    app.include_router(account.router)
    app.include_router(browse.router)
    app.include_router(admin.router)
    app.include_router(media.router)
    app.include_router(ui.router)
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")
    app.add_middleware(
        BodyLimit, default=settings.max_body_bytes, uploads=settings.max_upload_bytes
    )
    app.add_middleware(SecurityHeaders)
    return app


class BodyLimit:
    """ASGI middleware refusing request bodies over a size (413) before anything reads them:
    ``uploads`` bytes for ``POST /api/imports``, ``default`` for everything else. A declared
    ``Content-Length`` is checked up front; a chunked body is counted as it arrives."""

    def __init__(self, app: ASGIApp, *, default: int, uploads: int) -> None:
        self.app, self.default, self.uploads = app, default, uploads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.uploads if scope["path"] == "/api/imports" else self.default
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        seen = 0
        refused = False

        async def counted() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:  # answer 413 now; the app sees the client go away
                    refused = True
                    await _too_large(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            if not refused:
                await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not refused:  # the app's own failure, not the client's refused body
                raise


async def _too_large(send: Send, limit: int) -> None:
    detail = (
        f'{{"detail":"The request body is larger than {limit:,} bytes; send less (an import '
        f'of a large file: labelmill import PROJECT FILE on the server)."}}'
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": detail})


class SecurityHeaders:
    """ASGI middleware adding security headers to every HTTP response: a strict CSP, and
    ``no-store`` on pages and API answers. Plain ASGI: ``@app.middleware("http")`` would cost
    every request a task and a stream (about a fifth of the server's own time per request
    here)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        extra = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"x-frame-options", b"DENY"),
            (b"content-security-policy", _CSP.encode()),
        ]
        if not path.startswith(("/static/", "/media/", "/favicon.ico")):
            # Pages and API answers carry people's data: never kept by the browser or a
            # proxy (a shared computer, the back button after logout).
            extra.append((b"cache-control", b"no-store"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _write_lock_for(project: Project) -> object:
    """One labeling write at a time in this process, queued on a lock.

    SQLite has one writer, so this replaces busy retries with a queue. On PostgreSQL, which
    takes row locks itself, it still pays: the threads share one core through the GIL, and
    40 of them convoying on it cost twice the CPU per answer and twice the p99 latency of
    the same requests taken in turn (measured with benchmarks/server_load.py). Several
    processes (uvicorn workers) on PostgreSQL each have their own lock; the unique lease
    key settles races between them.
    """
    lock = threading.Lock()

    @contextlib.contextmanager
    def hold() -> Iterator[None]:
        with lock:
            yield

    return hold


def app_from_environment() -> FastAPI:
    """The app of ``labelmill serve --workers N``: each worker process builds its own from
    the ``LABELMILL_*`` environment the command set (uvicorn's ``factory=True``)."""
    return create_app(ServerSettings())  # type: ignore[call-arg]
