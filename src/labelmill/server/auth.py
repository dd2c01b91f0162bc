"""Tokens, session cookies, CSRF and the login rate limit.

A token is ``base64url(json claims) "." base64url(HMAC-SHA256(secret, first part))``:
the claims name the user, the kind (``access`` for API tokens, ``session`` for the
browser cookie) and the expiry. Every request re-reads the user row, so a removed or
disabled user, or a changed role, takes effect at once.

Browser requests authenticated by the session cookie must carry, on every
state-changing method, the header ``X-CSRF-Token`` equal to the ``labelmill_csrf``
cookie; its value is itself an HMAC of the session token, so it cannot be planted
(signed double-submit cookie). API clients send ``Authorization: Bearer <token>`` and
need no CSRF token (browsers never add that header on their own).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status

from labelmill.enums import Role
from labelmill.exceptions import AuthError, NotFoundError

__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "LoginLimiter",
    "Principal",
    "TokenSigner",
    "current_user",
    "require_roles",
]

SESSION_COOKIE = "labelmill_session"
CSRF_COOKIE = "labelmill_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    """Signs and checks tokens with one secret.

    Parameters
    ----------
    secret : str
        The signing key.
    lifetime : int
        Seconds a token stays valid.
    """

    def __init__(self, secret: str, lifetime: int) -> None:
        self._key = hashlib.sha256(("labelmill-token:" + secret).encode()).digest()
        self.lifetime = lifetime

    def _mac(self, message: str) -> str:
        return _b64(hmac.new(self._key, message.encode("ascii"), hashlib.sha256).digest())

    def sign(self, name: str, *, kind: str, now: float | None = None) -> str:
        issued = int(time.time() if now is None else now)
        claims = {
            "sub": name,
            "typ": kind,
            "iat": issued,
            "exp": issued + self.lifetime,
            "jti": secrets.token_hex(8),
        }
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{body}.{self._mac(body)}"

    def verify(self, token: str, *, kind: str) -> str:
        """The user name in ``token``; raises :class:`AuthError` if forged, expired or misused."""
        try:
            body, mac = token.split(".", 1)
            if not hmac.compare_digest(mac, self._mac(body)):
                raise ValueError("signature")
            claims = json.loads(_unb64(body))
        except (ValueError, UnicodeError, json.JSONDecodeError):
            raise AuthError("The token is not valid; log in again.") from None
        if claims.get("typ") != kind:
            raise AuthError(f"Expected a {kind} token, got a {claims.get('typ')!r} token.")
        if not isinstance(claims.get("exp"), int) or claims["exp"] < time.time():
            raise AuthError("The token has expired; log in again.")
        return str(claims["sub"])

    def csrf_for(self, session_token: str) -> str:
        """The CSRF token bound to a session token."""
        return self._mac("csrf:" + session_token)


class LoginLimiter:
    """Failed logins per (user name, client address) in a sliding window.

    Parameters
    ----------
    attempts : int
        Failures allowed within ``window`` seconds; the next try gets HTTP 429.
    window : float
        Window length in seconds.
    """

    def __init__(self, attempts: int, window: float) -> None:
        self.attempts = attempts
        self.window = window
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def check(self, name: str, address: str) -> None:
        """Raise HTTP 429 when this name and address failed too often lately."""
        now = time.monotonic()
        with self._lock:
            times = self._recent((name.lower(), address), now)
            if len(times) >= self.attempts:
                wait = int(times[0] + self.window - now) + 1
                raise HTTPException(
                    status.HTTP_429_TOO_MANY_REQUESTS,
                    detail=f"Too many failed logins for {name!r}; try again in {wait} s.",
                    headers={"Retry-After": str(wait)},
                )

    def failed(self, name: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent((name.lower(), address), now).append(now)
            if len(self._failures) > 100_000:  # bound memory under a flood of names
                self._failures = {k: v for k, v in self._failures.items() if v}

    def succeeded(self, name: str, address: str) -> None:
        with self._lock:
            self._failures.pop((name.lower(), address), None)


@dataclass(frozen=True)
class Principal:
    """The authenticated user of a request."""

    name: str
    role: str
    via: str  # "bearer" or "session"

    @property
    def is_reviewer(self) -> bool:
        return self.role in (Role.ADMIN, Role.REVIEWER)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=message, headers={"WWW-Authenticate": "Bearer"}
    )


def authenticate(request: Request) -> Principal | None:
    """The request's user, or None when it carries no credentials at all."""
    state = request.app.state
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized("Use the header 'Authorization: Bearer <token>'.")
        kind, via = "access", "bearer"
    else:
        token = request.cookies.get(SESSION_COOKIE, "")
        if not token:
            return None
        kind, via = "session", "session"
    try:
        name = state.signer.verify(token.strip(), kind=kind)
        user = state.project.get_user(name)
    except (AuthError, NotFoundError):
        raise _unauthorized("The token or session is not valid; log in again.") from None
    if not user.active or not user.can_login:
        raise _unauthorized(f"The user {name!r} is disabled; ask an admin.")
    if via == "session" and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        expected = state.signer.csrf_for(token)
        cookie = request.cookies.get(CSRF_COOKIE, "")
        same = hmac.compare_digest(sent, expected) and hmac.compare_digest(cookie, expected)
        if not (sent and same):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail="Missing or wrong CSRF token (header X-CSRF-Token); reload the page.",
            )
    return Principal(name=user.name, role=user.role, via=via)


def current_user(request: Request) -> Principal:
    """FastAPI dependency: the authenticated user, else HTTP 401."""
    principal = authenticate(request)
    if principal is None:
        raise _unauthorized("Log in first: POST /api/auth/token, or the login page.")
    return principal


def require_roles(*roles: str) -> Any:
    """FastAPI dependency factory: the user, if their role is one of ``roles``, else HTTP 403."""

    def check(user: Annotated[Principal, Depends(current_user)]) -> Principal:
        if user.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"This needs the role {' or '.join(roles)}; {user.name} is {user.role}.",
            )
        return user

    return check
