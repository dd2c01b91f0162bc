"""Rounds while people label (defect 2): a round started from the Rounds page succeeds on
SQLite and PostgreSQL while answers keep coming, keeps those answers, and a round that died
reads as failed at once."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import select

from labelmill import Project
from labelmill.store import Item, Label, Round, User

PEOPLE = 12
WORDS = {
    "spam": ["win", "cash", "prize", "free", "offer"],
    "ham": ["lunch", "notes", "meeting", "song"],
}


def _project(folder: Path, db_url: str | None, password_hash: str, n: int = 300) -> list[str]:
    truth = ["spam" if i % 2 else "ham" for i in range(n)]
    texts = [
        f"{WORDS[t][i % len(WORDS[t])]} {WORDS[t][(i // 3) % len(WORDS[t])]} {i}"
        for i, t in enumerate(truth)
    ]
    project = Project.init(
        folder,
        classes=["spam", "ham"],
        db_url=db_url,
        settings={"featurizer": {"kind": "hashing", "n_features": 64}},
    )
    ids = [f"t{i:03d}" for i in range(n)]
    project.import_items(pd.DataFrame({"id": ids, "text": texts}), id_column="id")
    answers = dict(zip(ids, truth, strict=True))
    for entry in project.next_items(40, user="seed"):
        project.add_answer(entry.item_id, answers[entry.item_id], user="seed")

    def users(session: Any) -> None:
        session.add(User(name="ada", role="admin", password_hash=password_hash, active=True))
        for k in range(PEOPLE):
            session.add(
                User(name=f"w{k}", role="reviewer", password_hash=password_hash, active=True)
            )

    project.store.write(users)
    project.close()
    return truth


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_round_started_while_people_label_succeeds_and_keeps_their_answers(
    database: str, tmp_path: Path, password_hash: str, server_factory: Any, request: Any
) -> None:
    """The bug: on SQLite the round failed with 'database is locked' (2 of 2 tries with 30
    people labeling), sometimes while recording the failure too, and its row stayed
    'running'."""
    db_url = None if database == "sqlite" else request.getfixturevalue("postgres_url")
    _project(tmp_path / "p", db_url, password_hash)
    server = server_factory(tmp_path / "p", db_url=db_url)
    stop = threading.Event()
    acked: list[tuple[str, str]] = []
    errors: list[str] = []

    def person(name: str) -> None:
        headers = server.headers(name)
        while not stop.is_set():
            got = server.client.get("/api/items/next", headers=headers)
            if got.status_code != 200:
                errors.append(f"next {got.status_code} {got.text[:200]}")
                time.sleep(0.05)
                continue
            item = got.json()["item_id"]
            answer = server.client.post(
                f"/api/items/{item}/answers", json={"label": "ham"}, headers=headers
            )
            if answer.status_code == 201:
                acked.append((name, item))
            else:
                errors.append(f"answer {answer.status_code} {answer.text[:200]}")

    people = [threading.Thread(target=person, args=(f"w{k}",)) for k in range(PEOPLE)]
    for thread in people:
        thread.start()
    try:
        ready = time.monotonic() + 60
        while len(acked) < PEOPLE and time.monotonic() < ready:  # everyone is labeling
            time.sleep(0.05)
        started = server.post("/api/runs", "ada", json={})
        assert started.status_code == 202
        during, began = len(acked), time.monotonic()
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            runs = server.get("/api/runs", "ada").json()
            if not runs["running"]:
                break
            time.sleep(0.2)
        answered_meanwhile, took = len(acked) - during, time.monotonic() - began
    finally:
        stop.set()
        for thread in people:
            thread.join(30)
    assert runs["rounds"], f"the round did not even record itself: {runs['job']}"
    latest = runs["rounds"][0]
    assert latest["status"] == "done", (latest, runs["job"])
    assert errors == []
    assert during > 0 and (answered_meanwhile > 0 or took < 1)  # people labeled while it ran
    with server.project.store.session() as session:
        status = dict(
            session.execute(select(Item.item_id, Label.status).join(Label)).tuples().all()
        )
    assert all(status[item] in ("human", "gold") for _name, item in acked)  # none overwritten
    server.client.close()
    server.project.close()


def test_a_round_whose_process_was_killed_reads_as_failed_at_once(server: Any) -> None:
    """The bug: a killed `labelmill run` showed 'running' until the next round started."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    server.project.store.write(
        lambda s: s.add(Round(status="running", stage="featurize", pid=gone.pid))
    )
    runs = server.get("/api/runs", "ada").json()
    latest = runs["rounds"][0]
    assert latest["status"] == "failed" and f"pid {gone.pid}" in latest["error"]
    stats = server.get("/api/stats", "ada").json()
    assert stats["last_round"]["status"] == "failed"
    # A round of a live process on another host is left as it says.
    server.project.store.write(
        lambda s: s.add(Round(status="running", stage="train", pid=1, host="elsewhere"))
    )
    assert server.get("/api/runs", "ada").json()["rounds"][0]["status"] == "running"


def test_a_round_thread_that_raised_reads_failed_and_is_recorded(
    server: Any, monkeypatch: Any
) -> None:
    """The round's thread raised before it could record why (its row says running)."""

    def dies(**params: Any) -> None:
        server.project.store.write(lambda s: s.add(Round(status="running", stage="train")))
        raise RuntimeError("out of memory")

    monkeypatch.setattr(server.project, "run_round", dies, raising=False)
    server.post("/api/runs", "ada", json={})
    server.app.state.runner.join(10)
    latest = server.get("/api/runs", "ada").json()["rounds"][0]
    assert latest["status"] == "failed" and latest["error"] == "RuntimeError: out of memory"
    with server.project.store.session() as session:
        row = session.scalars(select(Round).order_by(Round.id.desc())).first()
        assert row.status == "failed" and row.error == "RuntimeError: out of memory"


def test_a_running_round_of_this_server_reads_running_while_its_thread_lives(
    server: Any, monkeypatch: Any
) -> None:
    release = threading.Event()

    def slow(**params: Any) -> None:
        server.project.store.write(lambda s: s.add(Round(status="running", stage="train")))
        release.wait(10)

    monkeypatch.setattr(server.project, "run_round", slow, raising=False)
    server.post("/api/runs", "ada", json={})
    time.sleep(0.3)
    assert server.get("/api/runs", "ada").json()["rounds"][0]["status"] == "running"
    release.set()
    server.app.state.runner.join(10)
