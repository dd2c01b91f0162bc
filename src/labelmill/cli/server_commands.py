"""``labelmill serve`` and ``labelmill users``: the browser application and its people.

Registered in :mod:`labelmill.cli.main` with ``cli.add_command(serve)`` and
``cli.add_command(users)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from labelmill.cli._common import DB_OPTION
from labelmill.enums import Role

__all__ = ["serve", "users"]


@click.command()
@click.argument("project", type=click.Path(exists=True, file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@DB_OPTION
@click.option(
    "--secret-key",
    envvar="LABELMILL_SECRET_KEY",
    default=None,
    help="Signs sessions and tokens (env LABELMILL_SECRET_KEY; default: random per "
    "start, so logins end at restart).",
)
@click.option(
    "--lease-seconds",
    type=float,
    default=600.0,
    show_default=True,
    help="How long a served item stays reserved for its person.",
)
@click.option(
    "--overlap",
    type=click.IntRange(1, 50),
    default=None,
    help="Crowd mode: distinct people per item (default: the project's overlap setting).",
)
@click.option(
    "--cookie-secure/--no-cookie-secure",
    default=False,
    show_default=True,
    help="Send the session cookie over HTTPS only (behind TLS).",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    metavar="ADDRESS",
    help="A reverse proxy whose X-Forwarded-For names the client (repeatable). Default: "
    "none, the TCP peer is the client (login limits count per client).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes. More than one needs PostgreSQL (SQLite has one writer); login "
    "limits and the one-round-at-a-time guard then hold across processes and hosts.",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="info",
    show_default=True,
)
def serve(
    project: str,
    host: str,
    port: int,
    db_url: str | None,
    secret_key: str | None,
    lease_seconds: float,
    overlap: int | None,
    cookie_secure: bool,
    trusted_proxies: tuple[str, ...],
    workers: int,
    log_level: str,
) -> None:
    """Serve the labeling UI and REST API of PROJECT (open http://HOST:PORT)."""
    import uvicorn

    from labelmill.exceptions import ConfigError
    from labelmill.server import ServerSettings, create_app
    from labelmill.server.settings import uvicorn_options

    try:
        settings = ServerSettings(
            project=Path(project),
            database_url=db_url,
            secret_key=secret_key,
            lease_seconds=lease_seconds,
            overlap=overlap,
            cookie_secure=cookie_secure,
            trusted_proxies=list(trusted_proxies),
            workers=workers,
        )
    except ValueError as exc:
        raise ConfigError(f"Bad server option: {exc}") from None
    if workers > 1:
        _serve_workers(settings, host, port, log_level)
        return
    app = create_app(settings)
    if not any(u.can_login and u.active for u in app.state.project.list_users()):
        click.echo(
            f"Note: nobody can log in yet; add someone with: "
            f"labelmill users {project} add NAME --role admin",
            err=True,
        )
    click.echo(f"labelmill: serving {project} on http://{host}:{port} (Ctrl+C stops)", err=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level, **uvicorn_options(settings))  # type: ignore[arg-type]


def _serve_workers(settings: Any, host: str, port: int, log_level: str) -> None:
    """Run ``settings.workers`` server processes (uvicorn), each building the app from the
    ``LABELMILL_*`` environment set here. PostgreSQL only: SQLite has one writer."""
    import json
    import os
    import secrets

    import uvicorn

    from labelmill.exceptions import ConfigError
    from labelmill.project import Project
    from labelmill.server.settings import uvicorn_options

    with Project.open(settings.project, db_url=settings.database_url) as project:
        if project.store.dialect == "sqlite":
            raise ConfigError(
                f"--workers {settings.workers} needs PostgreSQL: a SQLite project has one "
                "writer. Serve it with one worker, or move it to PostgreSQL (--db URL)."
            )
        nobody = not any(u.can_login and u.active for u in project.list_users())
    if nobody:
        click.echo(
            f"Note: nobody can log in yet; add someone with: "
            f"labelmill users {settings.project} add NAME --role admin",
            err=True,
        )
    secret = settings.secret_key or secrets.token_urlsafe(32)  # one key for every worker
    values = settings.model_dump(exclude_none=True)
    values.update(secret_key=secret, project=str(settings.project))
    for name, value in values.items():
        text = json.dumps(value) if isinstance(value, list | dict | bool) else str(value)
        os.environ[f"LABELMILL_{name.upper()}"] = text
    click.echo(
        f"labelmill: serving {settings.project} on http://{host}:{port} with "
        f"{settings.workers} workers (Ctrl+C stops)",
        err=True,
    )
    uvicorn.run(  # type: ignore[call-arg]
        "labelmill.server.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=settings.workers,
        log_level=log_level,
        **uvicorn_options(settings),  # type: ignore[arg-type]
    )


@click.group()
@click.argument("project", type=click.Path(exists=True, file_okay=False))
@DB_OPTION
@click.pass_context
def users(ctx: click.Context, project: str, db_url: str | None) -> None:
    """Manage who can log in to PROJECT: add, list, remove, disable, enable."""
    ctx.obj = {"project": project, "db_url": db_url}


def _open(ctx: click.Context):  # noqa: ANN202 - a Project, imported lazily for start-up time
    from labelmill.project import Project

    return Project.open(ctx.obj["project"], db_url=ctx.obj["db_url"])


@users.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default="annotator",
    show_default=True,
)
@click.option(
    "--password",
    envvar="LABELMILL_PASSWORD",
    default=None,
    help="The password (default: asked for, hidden; env LABELMILL_PASSWORD).",
)
@click.pass_context
def add(ctx: click.Context, name: str, role: str, password: str | None) -> None:
    """Add user NAME (or set a new password and role for an existing one)."""
    if password is None:
        password = _ask_password(name)
    from labelmill.users import private_store_files

    with _open(ctx) as project:
        info = project.add_user(name, password, role=role, actor="cli")
        private_store_files(project.store)  # it holds password hashes now
    click.echo(f"User {info.name} ({info.role}) can log in.")


def _ask_password(name: str) -> str:
    """The password of ``name``: asked twice, hidden, in a terminal; piped in, its first line."""
    import sys

    if sys.stdin is None or sys.stdin.isatty():
        return str(click.prompt(f"Password for {name}", hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        from labelmill.exceptions import ConfigError

        raise ConfigError(
            f"There is no password on standard input for {name}; pipe one line, or pass "
            "--password or LABELMILL_PASSWORD."
        )
    return line


@users.command("list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """List users with their role and state."""
    with _open(ctx) as project:
        found = project.list_users()
    if not found:
        click.echo("No users yet.")
    for u in found:
        if not u.can_login:
            state = "no password (answers only)" if u.active else "removed"
        else:
            state = "active" if u.active else "disabled"
        click.echo(f"{u.name:<24} {u.role:<10} {state}")


@users.command("remove")
@click.argument("name")
@click.pass_context
def remove(ctx: click.Context, name: str) -> None:
    """Remove NAME's login (their answers stay, as provenance)."""
    with _open(ctx) as project:
        project.remove_user(name, actor="cli")
    click.echo(f"User {name} can no longer log in.")


@users.command("disable")
@click.argument("name")
@click.pass_context
def disable(ctx: click.Context, name: str) -> None:
    """Stop NAME from logging in (reversible with enable)."""
    with _open(ctx) as project:
        project.set_user_active(name, False, actor="cli")
    click.echo(f"User {name} is disabled.")


@users.command("enable")
@click.argument("name")
@click.pass_context
def enable(ctx: click.Context, name: str) -> None:
    """Let NAME log in again."""
    with _open(ctx) as project:
        project.set_user_active(name, True, actor="cli")
    click.echo(f"User {name} is enabled.")
