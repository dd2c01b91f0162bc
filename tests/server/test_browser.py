"""The UI in a real browser: Debian's Chromium driven by Playwright, uvicorn in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from labelmill import Project
from labelmill.store import User

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
XSS = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=alert(2)>"
PASSWORD = "correct horse battery"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install -y chromium)",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(tmp_path: Path, password_hash: str, server_factory: Any) -> Iterator[str]:
    import uvicorn

    folder = tmp_path / "proj"
    project = Project.init(folder, classes=["spam", "ham"])
    texts = [f"plain message {i}" for i in range(9)] + [XSS_IMG, XSS]
    project.import_items(
        pd.DataFrame({"id": [f"t{i:02d}" for i in range(11)], "text": texts}), id_column="id"
    )
    project.store.write(
        lambda s: s.add(User(name="ada", role="admin", password_hash=password_hash, active=True))
    )
    project.close()
    made = server_factory(folder)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(made.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    made.project.close()


@pytest.fixture
def page(live_server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        context = browser.new_context()
        context.set_default_timeout(15_000)
        pg = context.new_page()
        pg.base = live_server
        yield pg
        context.close()
        browser.close()


def _item_id(page: Any) -> str:
    return page.evaluate("document.body.dataset.itemId || ''")


def _wait_for_change(page: Any, old: str) -> None:
    page.wait_for_function(
        "old => document.body.dataset.itemId !== undefined && document.body.dataset.itemId !== old"
        " && (document.body.dataset.itemId !== '' || !document.getElementById('empty').hidden)",
        arg=old,
    )


def test_label_with_the_keyboard_and_see_the_dashboard(page: Any) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    base = page.base

    page.goto(base + "/dashboard")
    assert "/login" in page.url
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/dashboard")
    page.wait_for_function("() => document.body.dataset.answers === '0'")
    assert page.text_content("#n-items") == "11"

    page.goto(base + "/label")
    page.wait_for_function("() => !!document.body.dataset.itemId")
    shown: dict[str, str] = {}
    for _ in range(11):
        current = _item_id(page)
        shown[current] = page.text_content("#content")
        page.keyboard.press("1")
        page.keyboard.press("Enter")
        _wait_for_change(page, current)
    assert page.is_visible("#empty")  # all 11 answered, 10 plain ones and the script one
    assert shown["t10"] == XSS  # the markup is shown as text...
    assert shown["t09"] == XSS_IMG
    assert page.text_content("#counter") == "11 answered on this page"

    page.keyboard.press("u")  # undo brings the last item back
    page.wait_for_function("() => !!document.body.dataset.itemId")
    undone = _item_id(page)
    assert page.text_content("#counter") == "10 answered on this page"
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    _wait_for_change(page, undone)

    page.goto(base + "/dashboard")
    page.wait_for_function("() => document.body.dataset.answers === '11'")
    rows = page.locator("#by-status tbody tr")
    counts = {}
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        counts[cells.nth(0).text_content()] = int(cells.nth(1).text_content())
    assert counts["unlabeled"] == 0 and counts["human"] + counts["gold"] == 11, counts
    assert dialogs == []  # ...and never runs
