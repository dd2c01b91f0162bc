from __future__ import annotations

import base64
import hashlib
import json
import re
import time
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from labelmill.quality import rank_label_issues, run_checks
from labelmill.report import (
    SECTIONS,
    ProjectInfo,
    ReportInput,
    RoundInfo,
    Table,
    checks_section,
    content_security_policy,
    example_report,
    label_issues_section,
    render_html,
    render_json,
    report_to_dict,
    write_report,
)
from labelmill.report._html import CSS


@pytest.fixture(scope="module")
def full() -> ReportInput:
    return example_report(3000, random_state=1)


def _assert_safe_page(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    for forbidden in ("<script", "<link", "<img", "<iframe", "<object", "<embed", " style="):
        assert forbidden not in page.lower(), forbidden
    assert re.search(r"\son[a-z]+=", page) is None  # no event handler attributes
    urls = set(re.findall(r"(?:https?:)?//[^\s\"'<>]+", page))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls
    for svg in re.findall(r"<svg.*?</svg>", page, flags=re.S):
        ET.fromstring(svg)  # every chart is well-formed XML


def test_empty_project_renders_and_says_what_is_missing():
    report = ReportInput(project=ProjectInfo(name="fresh"))
    page = render_html(report)
    _assert_safe_page(page)
    for anchor, _ in SECTIONS:
        assert f'id="{anchor}"' in page
    assert page.count("Missing:") >= 9
    assert "Nothing has been imported or labeled yet." in page
    assert "Not in this report yet:" in page and "blind audit" in page
    data = json.loads(render_json(report))
    assert data["project"]["name"] == "fresh" and data["dataset"] is None


def test_full_report_has_every_section_and_no_missing_marks(full: ReportInput):
    page = render_html(full)
    _assert_safe_page(page)
    assert "Missing:" not in page and "Not in this report yet" not in page
    for text in (
        "Estimated accuracy of all labels",
        "Guarantee:",
        "Reliability diagram",
        "Confusion matrix",
        "Rules, least accurate first",
        "Slices, worst first",
        "Most likely wrong labels",
        "Duplicates with different labels",
        "People who disagree with the blind audit",
        "simultaneously over the 30 thresholds",
        "Uses to avoid",
    ):
        assert text in page, text
    assert page.count("<svg") >= 7


def test_user_text_is_escaped(full: ReportInput):
    page = render_html(full)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>not</b>" not in page and "&lt;b&gt;not&lt;/b&gt;" in page
    assert "sci/tech &lt;&amp;&gt;" in page and "news topics &lt;demo&gt;" in page
    assert "interrupted &lt;killed&gt;" in page


def test_csp_allows_exactly_the_style_block():
    digest = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
    policy = content_security_policy()
    assert f"style-src 'sha256-{digest}'" in policy and "script-src" not in policy
    page = render_html(ReportInput(project=ProjectInfo(name="p")))
    assert f"<style>{CSS}</style>" in page
    assert policy.replace("'", "&#x27;") in page


def test_json_matches_the_input_and_has_no_nan(full: ReportInput):
    text = render_json(full)
    assert "NaN" not in text and "Infinity" not in text
    data = json.loads(text)
    assert data["format_version"] == 1
    assert data["dataset"]["n_items"] == 3000
    assert data["label_issues"]["n_issues"] == full.label_issues.n_issues
    assert data["audit"]["accuracy"]["columns"][:3] == ["group_by", "group", "n_audited"]
    assert report_to_dict(full)["rounds"][-1]["error"] == "interrupted <killed>"


def test_tables_are_truncated_with_counts():
    frame = pd.DataFrame({"item_id": np.arange(1000), "score": np.linspace(1, 0, 1000)})
    table = Table.from_frame(frame, max_rows=30)
    assert len(table.rows) == 30 and table.total_rows == 1000 and table.truncated
    ranked = rank_label_issues(
        np.zeros(50, int), np.tile([0.9, 0.1], (50, 1)), item_ids=np.arange(50)
    )
    section = label_issues_section(ranked, max_rows=5)
    assert section.top is not None and section.top.total_rows == section.n_issues
    page = render_html(ReportInput(project=ProjectInfo(name="p"), label_issues=section), max_rows=3)
    assert "Method: noise_posterior" in page


def test_render_shows_truncation_note(full: ReportInput):
    page = render_html(full, max_rows=5)
    assert re.search(r"Showing the first 5 of [\d,]+ rows", page)


def test_checks_section_keeps_flagged_rows_and_skips():
    results = run_checks(classes=["a", "b"], labels=[0, 1, 0], content_hashes=["h", "h", "x"])
    sections = {c.name: c for c in checks_section(results)}
    assert sections["conflicting_duplicates"].n_flagged == 2
    assert sections["label_issues"].skipped == "needs labels and out-of-sample pred_probs"
    page = render_html(ReportInput(project=ProjectInfo(name="p"), checks=list(sections.values())))
    assert "Not run: needs embeddings." in page


def test_rounds_without_a_finished_one_say_so():
    report = ReportInput(
        project=ProjectInfo(name="p"),
        rounds=[RoundInfo(round_id=1, status="failed", error="no items")],
    )
    page = render_html(report)
    assert "No labeling round has finished yet: no guarantee." in page


def test_write_report(tmp_path, full: ReportInput):
    html, js = write_report(full, tmp_path / "out.html")
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert json.loads(js.read_text(encoding="utf-8"))["project"]["name"] == "news topics <demo>"
    _, other = write_report(full, tmp_path / "a.html", tmp_path / "b.json")
    assert other.name == "b.json"


@pytest.mark.slow
def test_a_100k_item_project_renders_fast_and_small(tmp_path):
    report = example_report(100_000, random_state=0)
    start = time.perf_counter()
    html, js = write_report(report, tmp_path / "big.html")
    seconds = time.perf_counter() - start
    size = html.stat().st_size + js.stat().st_size
    assert seconds < 10, seconds
    assert size < 5_000_000, size
    assert report.dataset is not None and report.dataset.n_items == 100_000
    assert "100,000" in html.read_text(encoding="utf-8")
