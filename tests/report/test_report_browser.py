"""A rendered report in a real browser: Debian's Chromium driven by Playwright, offline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from labelmill.report import SECTIONS, ProjectInfo, ReportInput, example_report, write_report

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install -y chromium)",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


def _open(browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    context = browser.new_context(offline=True, java_script_enabled=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, problems, requests


def test_full_report_opens_without_console_errors(browser: Any, tmp_path: Path) -> None:
    html, _ = write_report(example_report(2000, random_state=3), tmp_path / "report.html")
    page, problems, requests = _open(browser, html)
    assert problems == []  # no error, no CSP violation, no alert from the injected text
    assert requests == [html.as_uri()]  # nothing else was fetched
    headings = page.locator("h2").all_text_contents()
    assert headings == [title for _, title in SECTIONS]
    for anchor, _ in SECTIONS:
        assert page.locator(f"section#{anchor}").is_visible()
    assert page.locator("svg.chart").count() >= 7
    assert page.locator("#summary .card").count() == 4
    assert "sci/tech <&>" in page.locator("#composition").inner_text()
    # the CSP admitted the style block: the page is styled
    color = page.evaluate("getComputedStyle(document.querySelector('h2')).borderBottomColor")
    assert color == "rgb(59, 110, 165)"
    # anchors of the table of contents work without script
    page.click("nav a[href='#issues']")
    assert page.evaluate("location.hash") == "#issues"
    page.context.close()


def test_a_phone_does_not_scroll_sideways(browser: Any, tmp_path: Path) -> None:
    """Trial: at 390 px a long value (the generation time stamp) in a definition list made
    the page 445 px wide; tables scroll inside their own box."""
    html, _ = write_report(example_report(500, random_state=1), tmp_path / "report.html")
    context = browser.new_context(offline=True, viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(html.as_uri())
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


def test_empty_report_opens_and_lists_missing_sections(browser: Any, tmp_path: Path) -> None:
    html, _ = write_report(ReportInput(project=ProjectInfo(name="<b>new</b>")), tmp_path / "e.html")
    page, problems, _ = _open(browser, html)
    assert problems == []
    assert page.locator("h1").inner_text() == "Datasheet: <b>new</b>"
    assert page.locator("p.missing").count() >= 9
    page.context.close()


def test_report_of_the_demo_project(browser: Any, tmp_path: Path) -> None:
    """The report of a real project (the demo, with hashing features for speed): every
    section renders in Chromium with no console error, with the rounds, the rules, the
    blind audit and the check results of that project."""
    import json

    from labelmill import Project
    from labelmill.demo import run_demo

    folder = run_demo(
        str(tmp_path), budget=200, featurizer={"kind": "hashing"}, echo=lambda _: None
    )
    project = Project.open(folder)
    project.save_settings(datasheet={"description": "Spam comments for a <moderation> model."})
    html, json_path = project.report(tmp_path / "report.html")
    project.close()
    page, problems, requests = _open(browser, html)
    assert problems == [] and requests == [html.as_uri()]
    assert page.locator("h2").all_text_contents() == [title for _, title in SECTIONS]
    assert "<moderation>" in page.locator("#motivation").inner_text()
    labeling = page.locator("#labeling").inner_text()
    assert "asks_to_subscribe" in labeling  # the demo's rules
    quality = page.locator("#quality").inner_text()
    assert "Accuracy by status" in quality
    data = json.loads(json_path.read_text())
    assert data["dataset"]["n_items"] == 1953
    assert len(data["rounds"]) >= 2 and data["audit"]["n_audited"] > 0
    assert {c["name"] for c in data["checks"]} >= {"label_issues", "class_balance"}
    page.context.close()
