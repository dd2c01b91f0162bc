"""Domain errors -> HTTP, in one place."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from labelmill.exceptions import (
    AuthError,
    ConfigError,
    InputError,
    LabelmillError,
    NotFoundError,
    ProjectError,
    RoundError,
)

__all__ = ["install_error_handlers", "status_of"]

# Most specific first: NotFoundError is a ProjectError, SchemaError a ConfigError.
_STATUS: tuple[tuple[type[LabelmillError], int], ...] = (
    (NotFoundError, 404),
    (AuthError, 401),
    (ConfigError, 422),
    (InputError, 422),
    (RoundError, 409),
    (ProjectError, 409),
)


def status_of(exc: LabelmillError) -> int:
    for kind, code in _STATUS:
        if isinstance(exc, kind):
            return code
    return 500


def install_error_handlers(app: FastAPI) -> None:
    async def labelmill_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, LabelmillError)
        code = status_of(exc)
        headers = {"WWW-Authenticate": "Bearer"} if code == 401 else None
        return JSONResponse(
            {"detail": str(exc), "error": type(exc).__name__}, code, headers=headers
        )

    app.add_exception_handler(LabelmillError, labelmill_error)
