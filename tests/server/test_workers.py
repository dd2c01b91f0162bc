"""Several server processes on PostgreSQL (``labelmill serve --workers 2``): no item served
twice, one round at a time, login limits shared; and what SQLite refuses."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from click.testing import CliRunner

from labelmill import Project
from labelmill.cli.server_commands import serve
from labelmill.store import Round

pytestmark = pytest.mark.postgres


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def two_workers(tmp_path: Path, postgres_url: str) -> Any:
    folder = tmp_path / "p"
    project = Project.init(
        folder,
        classes=["spam", "ham"],
        db_url=postgres_url,
        settings={"featurizer": {"kind": "hashing", "n_features": 64}},
    )
    texts = [f"{'win cash' if i % 2 else 'lunch notes'} {i}" for i in range(200)]
    project.import_items(
        pd.DataFrame({"id": [f"i{i}" for i in range(200)], "text": texts}), id_column="id"
    )
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n"
        "  - {name: cash, kind: keywords, keywords: [cash], label: spam}\n"
        "  - {name: lunch, kind: keywords, keywords: [lunch], label: ham}\n"
    )
    project.register_rules(rules)
    for i in range(6):
        project.add_user(f"ann{i}", "password1", role="annotator")
    project.add_user("ada", "password1", role="admin")
    project.close()
    port = _free_port()
    env = {**os.environ, "LABELMILL_SECRET_KEY": "s" * 32, "LABELMILL_LOGIN_ATTEMPTS": "3"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "labelmill.cli.main",
            "serve",
            str(folder),
            "--db",
            postgres_url,
            "--port",
            str(port),
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError(proc.stdout.read().decode() if proc.stdout else "no server")
    yield base, folder, postgres_url
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def _token(base: str, name: str) -> str:
    got = httpx.post(f"{base}/api/auth/token", data={"username": name, "password": "password1"})
    assert got.status_code == 200, got.text
    return str(got.json()["access_token"])


def test_two_workers_hand_out_each_item_once_and_run_one_round(two_workers: Any) -> None:
    base, folder, url = two_workers
    tokens = {f"ann{i}": _token(base, f"ann{i}") for i in range(6)}

    def label(name: str) -> list[str]:
        headers = {"Authorization": f"Bearer {tokens[name]}"}
        got = []
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            for _ in range(12):
                item = client.get("/api/items/next")
                if item.status_code == 204:
                    break
                item_id = item.json()["item_id"]
                got.append(item_id)
                answer = client.post(f"/api/items/{item_id}/answers", json={"label": "spam"})
                assert answer.status_code == 201, answer.text
        return got

    admin = {"Authorization": f"Bearer {_token(base, 'ada')}"}
    with ThreadPoolExecutor(8) as pool:
        labeled = pool.map(label, tokens)
        starts = [
            pool.submit(httpx.post, f"{base}/api/runs", json={}, headers=admin) for _ in range(4)
        ]
        served = [i for batch in labeled for i in batch]
        codes = [s.result().status_code for s in starts]
    assert len(served) == len(set(served)) == 72  # nobody got an item another had
    assert all(code in (202, 409) for code in codes)
    project = Project.open(folder, db_url=url)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        rounds = project.rounds()
        if rounds and all(r["status"] != "running" for r in rounds):
            break
        time.sleep(0.5)
    with project.store.session() as session:
        rows = session.query(Round).order_by(Round.id).all()
        spans = [(r.started_at, r.finished_at) for r in rows if r.status == "done"]
    project.close()
    assert spans, "no round finished"
    for (_start_a, end_a), (start_b, _end_b) in zip(spans, spans[1:], strict=False):
        assert end_a is not None and end_a <= start_b  # one round at a time


def test_login_limits_hold_across_workers(two_workers: Any) -> None:
    base, _folder, _url = two_workers
    codes = []
    for _ in range(8):  # spread over both workers by the kernel
        got = httpx.post(
            f"{base}/api/auth/token", data={"username": "ada", "password": "wrong-password"}
        )
        codes.append(got.status_code)
    assert codes[:3] == [401, 401, 401]
    assert set(codes[3:]) == {429}  # three attempts per name and address, counted together


def test_workers_need_postgresql(tmp_path: Path) -> None:
    project = Project.init(tmp_path / "p", classes=["a", "b"])
    project.close()
    result = CliRunner().invoke(serve, [str(tmp_path / "p"), "--workers", "2"])
    assert result.exit_code != 0
    assert "--workers 2 needs PostgreSQL" in str(result.exception or result.output)
