"""``labelmill demo``: the labeling loop on a bundled sample of the YouTube Spam Collection.

The sample (CC BY 4.0, see ATTRIBUTION.md beside this file) ships with the package.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["SAMPLE", "run_demo"]

SAMPLE = Path(__file__).parent / "youtube_spam.csv"


def run_demo(folder: str | None = None, *, echo: Callable[[str], None] = print) -> Path:
    """Create a project from the sample, import it and show what labelmill makes of it.

    Returns the project folder.
    """
    from labelmill.project import Project

    target = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="labelmill-demo-"))
    project = Project.init(target / "youtube", classes=["spam", "ham"])
    echo(f"Project created at {project.path}")
    report = project.import_items(SAMPLE, id_column="comment_id", text_column="text")
    echo(report.summary().capitalize() + ".")
    status = project.status()
    echo(f"Items by status: {status['by_status']}")
    out = project.path / "export.jsonl"
    rows = project.export(out)
    echo(f"Exported {rows} rows to {out}")
    project.close()
    return project.path
