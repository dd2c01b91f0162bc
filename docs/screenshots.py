"""Screenshots of the browser app for the README, taken from a real project.

    .venv/bin/python docs/screenshots.py                 # docs/img/browser_*.png
    .venv/bin/python docs/screenshots.py --all OUTDIR    # every page, 1280 px and 390 px

Builds a project from the bundled YouTube comment sample (its rules, the hashing
featurizer so it takes seconds), lets a small team answer (reviewers, annotators, a crowd,
blind audits, a skip and a comment), runs two rounds, serves it on a free local port and
drives Debian's Chromium (``/usr/bin/chromium``) through Playwright. Nothing is fetched
from outside the machine.
"""

from __future__ import annotations

import argparse
import random
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "screenshot password"
TEAM = {
    "ada": "admin",
    "rev": "reviewer",
    "rita": "reviewer",
    "ann": "annotator",
    "bob": "annotator",
}
GUIDELINES = (
    "Spam: the comment advertises something, asks you to visit, subscribe or follow, or "
    "links elsewhere.\nHam: a reaction to the video or the song, even a rude one.\n"
    "Not sure? Skip with the reason 'not sure which class' and say why in a comment."
)


def build(folder: Path) -> None:
    """The project, its team and their answers, and two rounds."""
    from labelmill import Project
    from labelmill.demo import RULES, SAMPLE

    rng = random.Random(7)
    project = Project.init(
        folder,
        classes=["spam", "ham"],
        settings={
            "featurizer": {"kind": "hashing", "n_features": 512},
            "hidden_columns": ["class"],
        },
    )
    project.import_items(
        SAMPLE, id_column="comment_id", text_column="text", meta_columns=["video", "class"]
    )
    project.register_rules(RULES)
    for name, role in TEAM.items():
        project.add_user(name, PASSWORD, role=role)
    project.save_guidance(
        guidelines=GUIDELINES,
        class_info={
            "spam": {
                "description": "ads, links, 'check out my channel'",
                "color": "#c92a2a",
                "key": "x",
            },
            "ham": {"description": "about the video or the song", "color": "#2b8a3e", "key": "m"},
        },
    )
    truth = _truth(project)

    def answer(user: str, n: int, queue: str, noise: float) -> None:
        for entry in project.next_items(n, queue=queue, user=user):
            right = "spam" if truth[entry.item_id] in ("1", 1, "spam") else "ham"
            wrong = "ham" if right == "spam" else "spam"
            project.add_answer(
                entry.item_id, wrong if rng.random() < noise else right, user=user, queue=queue
            )

    answer("rev", 70, "audit", 0.02)
    answer("rita", 60, "audit", 0.04)
    answer("ann", 60, "review", 0.06)
    answer("bob", 50, "review", 0.12)
    project.run_round(actor="ada")
    crowd = (("ann", 0.08), ("bob", 0.2), ("rita", 0.05))
    for user, noise in crowd:  # a crowd, then blind audits of some of its items...
        answer(user, 25, "crowd", noise)
    answer("rev", 60, "audit", 0.02)
    answer("ann", 40, "review", 0.05)
    project.run_round(actor="ada")
    for user, noise in crowd:  # ...and more crowd answers waiting for a reviewer's say
        answer(user, 25, "crowd", noise)
    skipped = project.next_items(1, user="bob")[0]
    project.add_answer(
        skipped.item_id, None, user="bob", skip=True, skip_reason="not sure which class"
    )
    project.add_comment(
        skipped.item_id, "Half spam, half a real question about the song.", user="bob"
    )
    project.close()


def _truth(project: Any) -> dict[str, Any]:
    from labelmill.store.queries import items as item_sql

    with project.store.session() as session:
        return {item_id: (meta or {}).get("class") for item_id, meta in item_sql.metas(session)}


def serve(folder: Path) -> tuple[str, Any]:
    import uvicorn

    from labelmill.server import ServerSettings, create_app
    from labelmill.server.settings import uvicorn_options

    settings = ServerSettings(
        project=folder, secret_key="screenshots-secret-key-000", stats_cache_seconds=0
    )
    app = create_app(settings)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", **uvicorn_options(settings)
        )  # type: ignore[arg-type]
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def login(browser: Any, base: str, name: str, width: int = 1280, height: int = 820) -> Any:
    context = browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=1
    )
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: not r.url.startswith((base, "data:")) and outside.append(r.url))
    page.goto(base + "/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    page.outside = outside  # type: ignore[attr-defined]
    return page


def readme_shots(browser: Any, base: str, out: Path) -> list[Path]:
    shots = []
    ann = login(browser, base, "ann")
    ann.goto(base + "/label")
    ann.wait_for_function("() => !!document.body.dataset.itemId")
    for _ in range(12):  # the first review item with a highlight makes the card worth showing
        if ann.locator("#content mark").count() and ann.is_visible("#suggestion"):
            break
        current = ann.evaluate("document.body.dataset.itemId")
        ann.keyboard.press("s")
        ann.keyboard.press("1")
        ann.wait_for_function("old => document.body.dataset.itemId !== old", arg=current)
    ann.click("#why summary")
    ann.click("#guide summary")
    ann.wait_for_function("() => document.getElementById('progress').textContent.length > 0")
    shots.append(out / "browser_card.png")
    ann.screenshot(path=str(shots[-1]), full_page=True)

    rev = login(browser, base, "rev", height=900)
    rev.goto(base + "/browse?disagreement=true")
    rev.wait_for_function("() => document.body.dataset.matches !== undefined")
    rev.click("body")
    rev.keyboard.press("j")
    rev.keyboard.press("Enter")
    rev.wait_for_function("() => !!document.body.dataset.open")
    shots.append(out / "browser_items.png")
    rev.screenshot(path=str(shots[-1]))

    ada = login(browser, base, "ada", height=1000)
    ada.goto(base + "/dashboard")
    ada.wait_for_function("() => !!document.body.dataset.answers")
    ada.click("#heat-box summary")
    shots.append(out / "browser_dashboard.png")
    ada.screenshot(path=str(shots[-1]), full_page=True)
    for page in (ann, rev, ada):
        assert not page.outside, page.outside  # type: ignore[attr-defined]
    return shots


PAGES = {
    "ada": [
        "/label",
        "/label?queue=audit",
        "/label?queue=crowd",
        "/browse",
        "/dashboard",
        "/admin/users",
        "/admin/rounds",
        "/admin/rules",
        "/admin/project",
        "/admin/log",
        "/account",
        "/docs",
    ],
    "rev": ["/label", "/browse", "/dashboard"],
    "ann": ["/label", "/label?queue=crowd", "/dashboard", "/account"],
}


def every_page(browser: Any, base: str, out: Path) -> list[Path]:
    shots = []
    for name, paths in PAGES.items():
        for width in (1280, 390):
            page = login(browser, base, name, width=width)
            for path in paths:
                page.goto(base + path)
                page.wait_for_timeout(1200)
                slug = path.strip("/").replace("/", "_").replace("?queue=", "_") or "root"
                shots.append(out / f"{name}-{width}-{slug}.png")
                page.screenshot(path=str(shots[-1]), full_page=True)
            page.context.close()
    return shots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--all", metavar="OUTDIR", help="Also take every page at 1280 and 390 px.")
    parser.add_argument("--out", default=str(ROOT / "docs" / "img"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="labelmill-shots-")) / "youtube"
    print(f"building {folder} ...", flush=True)
    build(folder)
    base, server = serve(folder)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            for shot in readme_shots(browser, base, Path(args.out)):
                print(shot)
            if args.all:
                Path(args.all).mkdir(parents=True, exist_ok=True)
                for shot in every_page(browser, base, Path(args.all)):
                    print(shot)
            browser.close()
    finally:
        server.should_exit = True


if __name__ == "__main__":
    main()
