"""Fixtures of the server tests: small projects, users of every role, clients with tokens.

Argon2 hashing is slow on purpose, so the password hash is computed once per session and
users are inserted with it; tokens are minted with the app's signer except in the tests
that exercise the login itself.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from sqlalchemy import select

from labelmill import Project
from labelmill.server import ServerSettings, create_app
from labelmill.store import Item, Label, Source, User, Vote

PASSWORD = "correct horse battery"
ROLES = {"ada": "admin", "rev": "reviewer", "ann": "annotator", "ann2": "annotator"}
TEXTS = [f"message number {i} about {'cash prize' if i % 3 == 0 else 'lunch'}" for i in range(24)]


def set_review_mode(project: Any) -> None:
    """Make the review queue serve review items: a tiny audit minimum and fraction."""
    project.save_settings(target_accuracy=0.5, confidence=0.5, audit_fraction=0.01)


def label_as_machine(
    project: Any, item_id: str, label: int, confidence: float, rule: str = "cash_rule"
) -> None:
    """Pretend a round labeled the item for review, with one keyword rule's vote."""

    def work(session: Any) -> None:
        source = session.scalars(select(Source).where(Source.name == rule)).first()
        if source is None:
            source = Source(
                kind="rule",
                name=rule,
                version="1",
                definition={
                    "file": "rules.yaml",
                    "rule": {
                        "kind": "keywords",
                        "name": rule,
                        "keywords": ["cash prize"],
                        "label": label,
                    },
                },
            )
            session.add(source)
            session.flush()
        pk = session.scalar(select(Item.pk).where(Item.item_id == item_id))
        session.add(Vote(item_pk=pk, source_id=source.id, label=label, score=0.9))
        row = session.get(Label, pk)
        row.label, row.status, row.confidence = label, "review", confidence
        row.posterior, row.priority = [confidence, 1 - confidence], confidence

    project.store.write(work)


@pytest.fixture
def review_mode() -> Any:
    """``review_mode(project)``: the review queue serves review items (tiny audit sample)."""
    return set_review_mode


@pytest.fixture
def machine_label() -> Any:
    """``machine_label(project, item_id, label, confidence, rule=...)``: as a round would."""
    return label_as_machine


@pytest.fixture(scope="session")
def password() -> str:
    return PASSWORD


@pytest.fixture(scope="session")
def server_factory() -> Any:
    """``make_server(folder, db_url=None, **settings)``: serve another project folder."""
    return make_server


def _light_hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap Argon2 parameters in tests (production keeps argon2-cffi's defaults)."""
    import labelmill.users

    monkeypatch.setattr(labelmill.users, "_hasher", _light_hasher)


@pytest.fixture(scope="session")
def password_hash() -> str:
    return _light_hasher().hash(PASSWORD)


@pytest.fixture(scope="session")
def template_project(tmp_path_factory: pytest.TempPathFactory, password_hash: str) -> Path:
    """A migrated text project with 24 items and four users, copied per test."""
    folder = tmp_path_factory.mktemp("template") / "proj"
    project = Project.init(folder, classes=["spam", "ham"])
    frame = pd.DataFrame({"id": [f"m{i:02d}" for i in range(len(TEXTS))], "text": TEXTS})
    project.import_items(frame, id_column="id")
    add_users(project, password_hash)
    project.close()
    return folder


def add_users(project: Project, password_hash: str) -> None:
    def work(session: Any) -> None:
        for name, role in ROLES.items():
            session.add(User(name=name, role=role, password_hash=password_hash, active=True))

    project.store.write(work)


@dataclass
class Server:
    """A test server: the app, its project and a client per user."""

    app: Any
    project: Project
    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, name: str) -> str:
        """An API token of ``name`` (one session row per user and server, made once)."""
        if name not in self.tokens:
            sid = self.project.open_session(name, "access", seconds=3600)
            self.tokens[name] = self.app.state.signer.sign(name, kind="access", sid=sid)
        return self.tokens[name]

    def headers(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(name)}"}

    def get(self, path: str, user: str | None = None, **kw: Any) -> Any:
        return self.client.get(path, headers=self.headers(user) if user else None, **kw)

    def post(self, path: str, user: str | None = None, **kw: Any) -> Any:
        return self.client.post(path, headers=self.headers(user) if user else None, **kw)

    def next(self, user: str, queue: str = "review") -> Any:
        return self.get(f"/api/items/next?queue={queue}", user)

    def answer(self, user: str, item_id: str, label: Any = "spam", **extra: Any) -> Any:
        body = {"label": label, **extra} if label is not None else extra
        return self.post(f"/api/items/{item_id}/answers", user, json=body)


def make_server(folder: Path, db_url: str | None = None, **settings: Any) -> Server:
    project = Project.open(folder, db_url=db_url)
    settings.setdefault("stats_cache_seconds", 0)  # tests read their own writes at once
    settings.setdefault("progress_cache_seconds", 0)
    config = ServerSettings(project=folder, database_url=db_url, secret_key="s" * 32, **settings)
    app = create_app(config, project=project)
    client = TestClient(app)
    return Server(app=app, project=project, client=client)


@pytest.fixture
def server(template_project: Path, tmp_path: Path) -> Iterator[Server]:
    """A fresh copy of the template project on SQLite, served."""
    folder = tmp_path / "proj"
    shutil.copytree(template_project, folder)
    made = make_server(folder)
    yield made
    made.client.close()
    made.project.close()


@pytest.fixture(scope="module")
def shared_server(
    template_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One server per test module, for tests that change nothing (401s, 403s)."""
    folder = tmp_path_factory.mktemp("shared") / "proj"
    shutil.copytree(template_project, folder)
    made = make_server(folder)
    yield made
    made.client.close()
    made.project.close()


@pytest.fixture
def pg_server(tmp_path: Path, postgres_url: str, password_hash: str) -> Iterator[Server]:
    """The same project on a fresh PostgreSQL database."""
    folder = tmp_path / "pgproj"
    project = Project.init(folder, classes=["spam", "ham"], db_url=postgres_url)
    frame = pd.DataFrame({"id": [f"m{i:02d}" for i in range(len(TEXTS))], "text": TEXTS})
    project.import_items(frame, id_column="id")
    add_users(project, password_hash)
    project.close()
    made = make_server(folder, db_url=postgres_url)
    yield made
    made.client.close()
    made.project.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_server(request: pytest.FixtureRequest) -> Server:
    """The server on SQLite and on PostgreSQL (skipped when PostgreSQL is absent)."""
    return request.getfixturevalue("server" if request.param == "sqlite" else "pg_server")


# -- browser tests: Chromium driven by Playwright, uvicorn in a thread ----------------------------
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@dataclass
class Live:
    """A project served by uvicorn on a free port, with the test's own handle on it."""

    base: str
    server: Server
    uvicorn: Any
    thread: Any

    @property
    def project(self) -> Project:
        return self.server.project

    def stop(self) -> None:
        self.uvicorn.should_exit = True
        self.thread.join(10)
        self.server.client.close()
        self.server.project.close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_live(folder: Path, db_url: str | None = None, **settings: Any) -> Live:
    """Serve ``folder`` with uvicorn (the options ``labelmill serve`` uses) in a thread."""
    import threading
    import time

    import uvicorn

    from labelmill.server.settings import uvicorn_options

    made = make_server(folder, db_url, **settings)
    port = _free_port()
    config = uvicorn.Config(
        made.app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        **uvicorn_options(made.app.state.settings),  # type: ignore[arg-type]
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    return Live(base=f"http://127.0.0.1:{port}", server=made, uvicorn=server, thread=thread)


@pytest.fixture
def live_factory() -> Iterator[Any]:
    """``live_factory(folder, db_url=None, **settings)``: serve a project for one test."""
    started: list[Live] = []

    def start(folder: Path, db_url: str | None = None, **settings: Any) -> Live:
        live = serve_live(folder, db_url, **settings)
        started.append(live)
        return live

    yield start
    for live in started:
        live.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Chromium per test module (a fresh context per person)."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's Chromium at /usr/bin/chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class Person:
    """One person in their own browser context: a page, what went wrong on it, and what it
    fetched from elsewhere."""

    def __init__(self, browser: Any, base: str, name: str, *, width: int = 1280) -> None:
        self.base, self.name = base, name
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.context.set_default_timeout(20_000)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.outside: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        self.page.on(
            "console",
            lambda m: (
                m.type == "error"
                and "status of 4" not in m.text  # an expected 4xx answer, shown to the person
                and self.problems.append(f"console: {m.text}")
            ),
        )
        self.page.on(
            "request",
            lambda r: (
                r.url.startswith(("http://", "https://", "ws"))
                and not r.url.startswith(base)
                and self.outside.append(r.url)
            ),
        )
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.accept()))

    def login(self, password: str = PASSWORD, target: str = "/label") -> Any:
        page = self.page
        page.goto(self.base + "/login?next=" + target)
        page.fill("input[name=username]", self.name)
        page.fill("input[name=password]", password)
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    def item_id(self) -> str:
        return str(self.page.evaluate("document.body.dataset.itemId || ''"))

    def wait_item_change(self, old: str) -> str:
        self.page.wait_for_function(
            "old => document.body.dataset.itemId !== undefined && document.body.dataset.itemId"
            " !== old && (document.body.dataset.itemId !== '' ||"
            " !document.getElementById('empty').hidden)",
            arg=old,
        )
        return self.item_id()

    def key(self, *keys: str) -> None:
        for k in keys:
            self.page.keyboard.press(k)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def people(chromium: Any) -> Iterator[Any]:
    """``people(base, name, width=1280)``: a person in a fresh browser context; their pages'
    errors and requests to other hosts are checked when the test ends."""
    made: list[Person] = []

    def person(base: str, name: str, *, width: int = 1280) -> Person:
        p = Person(chromium, base, name, width=width)
        made.append(p)
        return p

    yield person
    problems = [(p.name, x) for p in made for x in p.problems]
    outside = [(p.name, x) for p in made for x in p.outside]
    for p in made:
        p.close()
    assert problems == [], problems
    assert outside == [], outside


TEAM = {
    "ada": "admin",
    "rev": "reviewer",
    "rita": "reviewer",
    "ann": "annotator",
    "bob": "annotator",
}


def team_project(
    folder: Path,
    password_hash: str,
    *,
    texts: list[str] | None = None,
    ranked: bool = True,
    people: dict[str, str] | None = None,
    db_url: str | None = None,
) -> Project:
    """A text project for browser tests: items, a team, and (``ranked``) the state a round
    leaves: every item in review with the model's label, posterior and round, a keyword
    rule's votes on the 'cash prize' items, and a small audit sample to reach."""
    from labelmill.store import Round

    texts = texts or [
        f"message {i} about {'a cash prize' if i % 3 == 0 else 'lunch'}" for i in range(24)
    ]
    project = Project.init(folder, classes=["spam", "ham"], db_url=db_url)
    ids = [f"m{i:02d}" for i in range(len(texts))]
    project.import_items(pd.DataFrame({"id": ids, "text": texts}), id_column="id")

    def work(session: Any) -> None:
        for name, role in (people or TEAM).items():
            session.add(User(name=name, role=role, password_hash=password_hash, active=True))
        if not ranked:
            return
        record = Round(status="done", stage="done")
        session.add(record)
        rule = Source(
            kind="rule",
            name="cash_rule",
            version="1",
            definition={
                "rule": {
                    "kind": "keywords",
                    "name": "cash_rule",
                    "keywords": ["cash prize"],
                    "label": 0,
                }
            },
        )
        session.add(rule)
        session.flush()
        for pk, payload in session.execute(select(Item.pk, Item.payload)).all():
            spam = "cash prize" in payload
            p = 0.82 if spam else 0.31
            row = session.get(Label, pk)
            row.status, row.label, row.confidence = "review", 0 if spam else 1, max(p, 1 - p)
            row.posterior, row.round_id, row.priority = [p, 1 - p], record.id, 1.0 - pk / 1000
            if spam:
                session.add(Vote(item_pk=pk, source_id=rule.id, label=0, round_id=record.id))

    project.store.write(work)
    if ranked:
        project.save_settings(target_accuracy=0.5, confidence=0.5, audit_fraction=0.01)
    project.close()
    return project


@pytest.fixture
def team(tmp_path: Path, password_hash: str, live_factory: Any) -> Any:
    """``team(ranked=True, texts=None, people=None, **settings)``: a team project, served."""

    def make(**options: Any) -> Live:
        settings = {
            k: options.pop(k) for k in list(options) if k not in ("texts", "ranked", "people")
        }
        folder = tmp_path / f"team{len(list(tmp_path.iterdir()))}"
        team_project(folder, password_hash, **options)
        return live_factory(folder, **settings)

    return make
