"""The ``labelmill`` command line: thin commands over :class:`labelmill.Project`."""

from labelmill.cli.main import cli, main

__all__ = ["cli", "main"]
