"""Tokens, session cookies, API keys, CSRF and the login rate limit.

A token is ``base64url(json claims) "." base64url(HMAC-SHA256(secret, first part))``:
the claims name the user, the kind (``access`` for API tokens, ``session`` for the
browser cookie), the expiry and the row of ``auth_sessions`` it belongs to (``jti``).
Every request re-reads that row with its user, so a logout, a password change, a removed
or disabled user, or a changed role takes effect at once. API keys (``lm_<id>_<secret>``,
made on the account page) go in the same ``Authorization: Bearer`` header.

Browser requests authenticated by the session cookie must carry, on every
state-changing method, the header ``X-CSRF-Token`` equal to the ``labelmill_csrf``
cookie; its value is itself an HMAC of the session token, so it cannot be planted
(signed double-submit cookie). API clients send ``Authorization: Bearer <token>`` and
need no CSRF token (browsers never add that header on their own).

Failed logins are limited per (name, address), per address over all names (password
spraying), per name over all addresses, and over the whole server (a flood from many
addresses): each failure costs an Argon2 hash, which competes with labeling for the CPU.
The client address is the TCP peer: ``labelmill serve`` trusts ``X-Forwarded-For`` only
from the proxies named in ``--trusted-proxy``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status

from labelmill.enums import Role
from labelmill.exceptions import AuthError, NotFoundError
from labelmill.users import ACCESS, SESSION, is_api_key

__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "LoginLimiter",
    "SharedLoginLimiter",
    "Principal",
    "TokenSigner",
    "current_user",
    "issue_token",
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

    def sign(self, name: str, *, kind: str, sid: str, now: float | None = None) -> str:
        """A token for ``name`` of ``kind``, bound to the ``auth_sessions`` row ``sid``."""
        issued = int(time.time() if now is None else now)
        claims = {
            "sub": name,
            "typ": kind,
            "iat": issued,
            "exp": issued + self.lifetime,
            "jti": sid,
        }
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{body}.{self._mac(body)}"

    def verify(self, token: str, *, kind: str) -> tuple[str, str]:
        """(user name, session id) of ``token``; raises :class:`AuthError` if forged,
        expired or misused."""
        try:
            body, mac = token.split(".", 1)
            if not hmac.compare_digest(mac, self._mac(body)):
                raise ValueError("signature")
            claims = json.loads(_unb64(body))
            if not isinstance(claims, dict):
                raise ValueError("claims")
        except (ValueError, UnicodeError, json.JSONDecodeError):
            raise AuthError("The token is not valid; log in again.") from None
        if claims.get("typ") != kind:
            raise AuthError(f"Expected a {kind} token, got a {claims.get('typ')!r} token.")
        if not isinstance(claims.get("exp"), int) or claims["exp"] < time.time():
            raise AuthError("The token has expired; log in again.")
        return str(claims["sub"]), str(claims.get("jti") or "")

    def csrf_for(self, session_token: str) -> str:
        """The CSRF token bound to a session token."""
        return self._mac("csrf:" + session_token)


class LoginLimiter:
    """Failed logins in a sliding window, counted four ways.

    Parameters
    ----------
    attempts : int
        Failures allowed per (user name, client address) within ``window`` seconds.
    window : float
        Window length in seconds.
    per_address : int
        Failures allowed per client address over all names (password spraying, floods of
        random names).
    per_name : int
        Failures allowed per user name over all addresses (one account tried from many).
    overall : int
        Failures allowed over the whole server: past it, logins wait (sessions, tokens and
        API keys keep working), so a flood from many addresses cannot eat the CPU that
        labeling needs.
    """

    def __init__(
        self,
        attempts: int,
        window: float,
        *,
        per_address: int | None = None,
        per_name: int | None = None,
        overall: int | None = None,
    ) -> None:
        self.attempts = attempts
        self.window = window
        self.limits = {
            "pair": attempts,
            "address": per_address if per_address is not None else 4 * attempts,
            "name": per_name if per_name is not None else 4 * attempts,
            "all": overall if overall is not None else 12 * attempts,
        }
        self._failures: dict[tuple[str, ...], deque[float]] = {}
        self._lock = threading.Lock()

    def _keys(self, name: str, address: str) -> list[tuple[str, ...]]:
        lowered = name.lower()
        return [("pair", lowered, address), ("address", address), ("name", lowered), ("all",)]

    def _recent(self, key: tuple[str, ...], now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def check(self, name: str, address: str) -> None:
        """Raise HTTP 429 when any of the four counts is at its limit."""
        now = time.monotonic()
        with self._lock:
            for key in self._keys(name, address):
                times = self._recent(key, now)
                if len(times) >= self.limits[key[0]]:
                    wait = int(times[0] + self.window - now) + 1
                    raise HTTPException(
                        status.HTTP_429_TOO_MANY_REQUESTS,
                        detail=_TOO_MANY[key[0]].format(name=name, wait=wait),
                        headers={"Retry-After": str(wait)},
                    )

    def failed(self, name: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in self._keys(name, address):
                self._recent(key, now).append(now)
            if len(self._failures) > 100_000:  # bound memory under a flood of names
                self._failures = {k: v for k, v in self._failures.items() if v}

    def succeeded(self, name: str, address: str) -> None:
        with self._lock:
            self._failures.pop(("pair", name.lower(), address), None)


class SharedLoginLimiter(LoginLimiter):
    """The same four limits, counted in the project's database, so that every server
    process (``labelmill serve --workers N``, or several hosts on PostgreSQL) applies them
    together. Failed logins are rare; each costs one small write, each login one read.

    Parameters
    ----------
    project : Project
        The project served.
    attempts, window, per_address, per_name, overall
        As :class:`LoginLimiter`.
    """

    def __init__(self, project: Any, attempts: int, window: float, **limits: Any) -> None:
        super().__init__(attempts, window, **limits)
        self.project = project

    @staticmethod
    def _text(key: tuple[str, ...]) -> str:
        return ":".join(key)[:400]

    def check(self, name: str, address: str) -> None:
        now = time.time()
        keys = self._keys(name, address)
        counts = self.project.login_failures([self._text(k) for k in keys], now - self.window)
        for key in keys:
            n, oldest = counts.get(self._text(key), (0, now))
            if n >= self.limits[key[0]]:
                wait = int(oldest + self.window - now) + 1
                raise HTTPException(
                    status.HTTP_429_TOO_MANY_REQUESTS,
                    detail=_TOO_MANY[key[0]].format(name=name, wait=wait),
                    headers={"Retry-After": str(wait)},
                )

    def failed(self, name: str, address: str) -> None:
        now = time.time()
        keys = [self._text(k) for k in self._keys(name, address)]
        self.project.record_login_failure(keys, now, forget_before=now - self.window)

    def succeeded(self, name: str, address: str) -> None:
        key = self._text(("pair", name.lower(), address))
        self.project.forget_login_failures(key)


_TOO_MANY = {
    "pair": "Too many failed logins for {name!r}; try again in {wait} s.",
    "address": "Too many failed logins from your address; try again in {wait} s.",
    "name": "Too many failed logins for {name!r} from several places; try again in {wait} s.",
    "all": "Too many failed logins on this server right now; try again in {wait} s "
    "(people already logged in are not affected).",
}


@dataclass(frozen=True)
class Principal:
    """The authenticated user of a request."""

    name: str
    role: str
    via: str  # "bearer" (API token), "api_key" or "session" (browser cookie)
    session_id: str | None = None

    @property
    def is_reviewer(self) -> bool:
        return self.role in (Role.ADMIN, Role.REVIEWER)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=message, headers={"WWW-Authenticate": "Bearer"}
    )


def issue_token(request: Request, name: str, kind: str) -> str:
    """Open a session row for ``name`` and sign a token of ``kind`` bound to it."""
    state = request.app.state
    sid = state.project.open_session(name, kind, seconds=state.signer.lifetime)
    token: str = state.signer.sign(name, kind=kind, sid=sid)
    return token


def authenticate(request: Request) -> Principal | None:
    """The request's user, or None when it carries no credentials at all."""
    state = request.app.state
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized("Use the header 'Authorization: Bearer <token or API key>'.")
        kind, via = ACCESS, "bearer"
    else:
        token = request.cookies.get(SESSION_COOKIE, "").strip()
        if not token:
            return None
        kind, via = SESSION, "session"
    sid: str | None = None
    try:
        if via == "bearer" and is_api_key(token):
            user = state.project.check_api_key(token)
            via = "api_key"
        else:
            name, sid = state.signer.verify(token, kind=kind)
            user = state.project.check_session(sid, name, kind)
    except AuthError as exc:
        raise _unauthorized(str(exc)) from None
    except NotFoundError:
        raise _unauthorized("The token or session is not valid; log in again.") from None
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
    return Principal(name=user.name, role=user.role, via=via, session_id=sid)


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
