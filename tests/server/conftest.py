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
