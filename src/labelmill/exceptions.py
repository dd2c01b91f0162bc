"""The one exception tree of labelmill.

Every error that labelmill raises on purpose derives from :class:`LabelmillError`,
so callers can catch all of them at once::

    LabelmillError
    ├── ConfigError            a parameter, setting or schema is invalid
    │   └── SchemaError        a label, class or field does not fit the project's schema
    ├── InputError             user data cannot be read (file, row, column, image, rule file)
    │   └── ImportRowError     one row of an import is bad (carries file, line, reason)
    ├── ProjectError           a project folder or database is missing, or in the wrong state
    │   └── NotFoundError      an item, user, source or round does not exist
    ├── LabelingFunctionError  a labeling function raised on an item (names the LF and item)
    ├── TransformationFunctionError  an augmentation raised or returned the wrong payload
    ├── NotFittedError         an estimator was used before ``fit``
    ├── RoundError             a labeling round could not run (the round is marked failed)
    └── AuthError              a login or permission check failed (server)

Messages say what went wrong, what was expected, what came instead, and what to do.
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "ConfigError",
    "ImportRowError",
    "InputError",
    "LabelingFunctionError",
    "LabelmillError",
    "NotFittedError",
    "TransformationFunctionError",
    "NotFoundError",
    "ProjectError",
    "RoundError",
    "SchemaError",
]


class LabelmillError(Exception):
    """Base class of every error labelmill raises on purpose."""


class ConfigError(LabelmillError, ValueError):
    """A parameter, setting or schema value is invalid."""


class SchemaError(ConfigError):
    """A label, class name or field does not fit the project's schema."""


class InputError(LabelmillError, ValueError):
    """User data (a file, a row, a column, an image, a rule file) cannot be used."""


class ImportRowError(InputError):
    """One row of an import is bad.

    Parameters
    ----------
    path : str
        The file being imported.
    line : int
        1-based line (or record) number in that file; 0 when it concerns the whole file.
    reason : str
        What is wrong with the row.
    """

    def __init__(self, path: str, line: int, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = f"{path} line {line}" if line else path
        super().__init__(f"{where}: {reason}")


class ProjectError(LabelmillError):
    """A project folder or database is missing or in the wrong state."""


class NotFoundError(ProjectError, KeyError):
    """An item, user, source or round does not exist."""

    def __str__(self) -> str:  # KeyError would add quotes around the message
        return str(self.args[0]) if self.args else ""


class LabelingFunctionError(LabelmillError):
    """A labeling function raised while labeling an item."""


class TransformationFunctionError(LabelmillError):
    """A transformation function raised, or returned the wrong kind of payload.

    The message names the function and the item's position; the original exception,
    if any, is chained as ``__cause__``.
    """


class NotFittedError(LabelmillError, AttributeError):
    """An estimator was used before it was fitted."""


class RoundError(LabelmillError):
    """A labeling round could not run; the round is recorded as failed with this reason."""


class AuthError(LabelmillError):
    """A login, token or permission check failed."""
