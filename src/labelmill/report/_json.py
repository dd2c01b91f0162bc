"""The report's JSON file: the same :class:`ReportInput`, machine-readable."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import date, datetime
from typing import Any

from labelmill.report._model import REPORT_FORMAT_VERSION, ReportInput

__all__ = ["render_json", "report_to_dict"]


def _clean(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _clean(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "item") and callable(value.item):
        return _clean(value.item())
    return str(value)


def report_to_dict(report: ReportInput) -> dict[str, Any]:
    """The report as plain JSON-ready data (NaN and infinity become ``None``).

    Examples
    --------
    >>> from labelmill.report import ProjectInfo, ReportInput
    >>> d = report_to_dict(ReportInput(project=ProjectInfo(name="p")))
    >>> d["format_version"], d["project"]["name"], d["audit"]
    (1, 'p', None)
    """
    out: dict[str, Any] = {"format_version": REPORT_FORMAT_VERSION}
    out.update(_clean(report))
    return out


def render_json(report: ReportInput) -> str:
    """The report as a JSON document (UTF-8 text, indented)."""
    return json.dumps(report_to_dict(report), indent=1, ensure_ascii=False, allow_nan=False)
