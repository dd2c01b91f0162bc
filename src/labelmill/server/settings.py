"""Settings of ``labelmill serve``: the only place besides the CLI that reads the environment.

Every field can come from the constructor, or from an environment variable named
``LABELMILL_<FIELD>`` (e.g. ``LABELMILL_SECRET_KEY``, ``LABELMILL_DATABASE_URL``).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ServerSettings", "uvicorn_options"]


class ServerSettings(BaseSettings):
    """How the server opens the project and treats its users.

    Parameters
    ----------
    project : path
        The project folder (holding ``labelmill.yaml``).
    database_url : str, optional
        Overrides the database named in ``labelmill.yaml`` (e.g. a PostgreSQL URL).
    secret_key : str, optional
        Signs tokens and session cookies. Without one, a random key is made at start-up,
        so sessions end when the server restarts; set it for several workers or servers.
    token_seconds : int
        Lifetime of API tokens and session cookies.
    lease_seconds : float
        How long an item served to a person stays theirs before others can get it.
    overlap : int
        Crowd mode: how many distinct people answer each item (default: the project's
        ``overlap`` setting).
    cookie_secure : bool
        Send the session cookie over HTTPS only (set it behind TLS).
    login_attempts, login_window_seconds : int
        Failed logins allowed per (user name, client address) within the window (then 429).
    login_per_address, login_per_name, login_overall : int
        Failed logins allowed within the window per client address over all names
        (spraying), per name over all addresses, and over the whole server (a flood from
        many addresses; people already logged in are not affected).
    workers : int
        Server processes (``labelmill serve --workers N``; PostgreSQL only). With more than
        one, or on PostgreSQL, the login limits are counted in the database so every
        process (and every host behind a proxy) applies them together.
    trusted_proxies : list of str
        Addresses of reverse proxies whose ``X-Forwarded-For`` names the client (the
        login limits count per client). Empty (the default): the TCP peer is the client.
    max_body_bytes, max_upload_bytes : int
        Largest request body accepted (413 beyond): for every route but file imports, and
        for ``POST /api/imports``.
    empty_poll_seconds : float
        How often a labeling page with an empty queue asks again.
    stats_cache_seconds : float
        How long ``/api/stats`` (the dashboard) may reuse its last answer; it scans every
        label, so many open dashboards should not each pay for it. 0 turns caching off.
    """

    model_config = SettingsConfigDict(env_prefix="LABELMILL_", extra="ignore")

    project: Path
    database_url: str | None = None
    secret_key: str | None = Field(default=None, min_length=16)
    token_seconds: int = Field(default=8 * 3600, gt=0)
    lease_seconds: float = Field(default=600.0, gt=0)
    overlap: int | None = Field(default=None, ge=1, le=50)
    cookie_secure: bool = False
    login_attempts: int = Field(default=5, ge=1)
    login_window_seconds: int = Field(default=60, gt=0)
    login_per_address: int = Field(default=20, ge=1)
    login_per_name: int = Field(default=20, ge=1)
    login_overall: int = Field(default=60, ge=1)
    trusted_proxies: list[str] = Field(default_factory=list)
    workers: int = Field(default=1, ge=1, le=64)
    stats_cache_seconds: float = Field(default=2.0, ge=0)
    progress_cache_seconds: float = Field(default=5.0, ge=0)
    empty_poll_seconds: float = Field(default=15.0, gt=0)
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=512 * 1024 * 1024, ge=1024)


def uvicorn_options(settings: ServerSettings) -> dict[str, object]:
    """How uvicorn must run this app: ``X-Forwarded-For`` is believed only from the
    trusted proxies (uvicorn's own default believes 127.0.0.1, which let anyone on the
    machine, or any local proxy's client, pick their address and dodge the login limits)."""
    if settings.trusted_proxies:
        return {"proxy_headers": True, "forwarded_allow_ips": ",".join(settings.trusted_proxies)}
    return {"proxy_headers": False, "forwarded_allow_ips": ""}
