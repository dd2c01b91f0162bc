"""labelmill: label data sets automatically, and prove how good the labels are.

Heavy parts (the store, pandas, torch) load only when used, so ``import labelmill`` and
the command line start fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Project", "ProjectSettings", "Schema", "__version__"]

if TYPE_CHECKING:
    from labelmill.project import Project
    from labelmill.schema import Schema
    from labelmill.settings import ProjectSettings


def __getattr__(name: str) -> Any:
    if name == "Project":
        from labelmill.project import Project

        return Project
    if name == "ProjectSettings":
        from labelmill.settings import ProjectSettings

        return ProjectSettings
    if name == "Schema":
        from labelmill.schema import Schema

        return Schema
    raise AttributeError(f"module 'labelmill' has no attribute {name!r}")
