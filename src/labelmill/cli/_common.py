"""What every command module shares: the database option, opening a project, and a
progress line for work with no counts (kept apart from :mod:`labelmill.cli.main` so that the
other command modules import it without importing the commands)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from labelmill.project import Project

__all__ = ["DB_OPTION", "open_project", "working"]

DB_OPTION = click.option(
    "--db",
    "db_url",
    envvar="LABELMILL_DATABASE_URL",
    default=None,
    metavar="URL",
    help="SQLAlchemy database URL (default: the project's; env LABELMILL_DATABASE_URL).",
)


def open_project(path: str, db_url: str | None) -> Project:
    from labelmill.project import Project

    return Project.open(path, db_url=db_url)


@contextmanager
def working(description: str, *, every: float = 5.0) -> Iterator[None]:
    """For work with no counts to show: a spinner with the seconds in a terminal; otherwise
    a line when it starts, one every ``every`` seconds while it lasts, and one at the end."""
    import threading
    import time

    from rich.console import Console

    console = Console(stderr=True)
    start = time.perf_counter()
    if console.is_terminal:
        with console.status(f"{description}..."):
            yield
        return
    click.echo(f"{description}...", err=True)
    done = threading.Event()

    def beat() -> None:
        while not done.wait(every):
            click.echo(f"{description}: {time.perf_counter() - start:.0f} s so far", err=True)

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
    click.echo(f"{description}: done in {time.perf_counter() - start:.1f} s", err=True)
