"""The data set's report: a datasheet as one self-contained HTML page and a JSON file.

Public API::

    ReportInput and its sections: ProjectInfo, SchemaInfo, DatasetSummary, ImportInfo,
        CollectionInfo, RuleInfo, ModelInfo, RoundInfo, AuditSection, CheckSummary,
        LabelIssuesSection, ProvenanceSection, UsesInfo, Table
    audit_section, checks_section, label_issues_section   build sections from quality tables
    render_html, render_json, report_to_dict, write_report
    content_security_policy, SECTIONS, REPORT_FORMAT_VERSION
    example_report                     a complete synthetic input (tests, benchmarks, UI work)

Build a :class:`ReportInput` from a project (every section but ``project`` may be None:
the page says what is missing), then ``write_report(report, "report.html")``.
"""

from __future__ import annotations

from pathlib import Path

from labelmill.report._build import audit_section, checks_section, label_issues_section
from labelmill.report._example import example_report
from labelmill.report._html import SECTIONS, content_security_policy, render_html
from labelmill.report._json import render_json, report_to_dict
from labelmill.report._model import (
    REPORT_FORMAT_VERSION,
    AuditSection,
    CheckSummary,
    CollectionInfo,
    DatasetSummary,
    ImportInfo,
    LabelIssuesSection,
    ModelInfo,
    ProjectInfo,
    ProvenanceSection,
    ReportInput,
    RoundInfo,
    RuleInfo,
    SchemaInfo,
    Table,
    UsesInfo,
)

__all__ = [
    "REPORT_FORMAT_VERSION",
    "SECTIONS",
    "AuditSection",
    "CheckSummary",
    "CollectionInfo",
    "DatasetSummary",
    "ImportInfo",
    "LabelIssuesSection",
    "ModelInfo",
    "ProjectInfo",
    "ProvenanceSection",
    "ReportInput",
    "RoundInfo",
    "RuleInfo",
    "SchemaInfo",
    "Table",
    "UsesInfo",
    "audit_section",
    "checks_section",
    "content_security_policy",
    "example_report",
    "label_issues_section",
    "render_html",
    "render_json",
    "report_to_dict",
    "write_report",
]


def write_report(
    report: ReportInput,
    html_path: str | Path,
    json_path: str | Path | None = None,
    *,
    max_rows: int = 200,
) -> tuple[Path, Path]:
    """Write the HTML page and the JSON file.

    Parameters
    ----------
    report : ReportInput
    html_path : str or Path
        Where the page goes (``report.html``).
    json_path : str or Path, optional
        Default: ``html_path`` with the suffix ``.json``.
    max_rows : int, default=200
        Rows shown per table in the page.

    Returns
    -------
    (Path, Path)
        The two files written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> html, js = write_report(ReportInput(project=ProjectInfo(name="p")), folder / "r.html")
    >>> html.name, js.name, html.stat().st_size > 1000
    ('r.html', 'r.json', True)
    """
    html_file = Path(html_path)
    json_file = html_file.with_suffix(".json") if json_path is None else Path(json_path)
    html_file.write_text(render_html(report, max_rows=max_rows), encoding="utf-8")
    json_file.write_text(render_json(report), encoding="utf-8")
    return html_file, json_file
