"""``--engine`` and ``--scheduler``: where ``labelmill run`` and ``simulate`` do their
item-parallel work (see :mod:`labelmill.engine`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from labelmill.engine import ENGINES

__all__ = ["engine_options", "round_engine"]


def engine_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--engine local|dask`` and ``--scheduler ADDRESS`` to a command."""
    command = click.option(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="With --engine dask: a running Dask scheduler (tcp://host:8786). Without it a "
        "local Dask cluster of 2 workers is started for this command.",
    )(command)
    return click.option(
        "--engine",
        type=click.Choice(list(ENGINES)),
        default="local",
        show_default=True,
        help="Where rules, featurization, inference and active-learning scores run: this "
        "process, or Dask workers (same results).",
    )(command)


@contextmanager
def round_engine(engine: str, scheduler: str | None) -> Iterator[Any]:
    """The engine the options ask for, said on stderr when it is not the local one, and
    closed afterwards (a local cluster started here stops with it)."""
    from labelmill.engine import make_engine

    if engine == "dask" and scheduler is None:
        click.echo(
            "Starting a local Dask cluster (2 workers); pass --scheduler ADDRESS to use a "
            "running cluster.",
            err=True,
        )
    runner = make_engine(engine, scheduler=scheduler)
    try:
        if runner.name != "local":
            click.echo(f"Running on the {runner.describe()}.", err=True)
        yield runner
    finally:
        runner.close()
