"""Load test of ``labelmill serve``: many annotators labeling at once, a crash, the dashboard.

One command::

    .venv/bin/python benchmarks/server_load.py        # 1,000,000 items, 60 s per load
    .venv/bin/python benchmarks/server_load.py --items 20000 --seconds 10   # a quick run

For each database (SQLite file, then a fresh PostgreSQL database):

1. a project of ``--items`` synthetic texts, written by a direct bulk insert into the
   ``items`` and ``labels`` tables (the rows ``Project.import_items`` would write, minus
   content de-duplication, which would only cost time here);
2. the server started by this script in a subprocess (uvicorn, one worker, loopback);
3. ``--users`` simulated annotators (httpx.AsyncClient), each looping
   GET /api/items/next?queue=review -> POST /api/items/{id}/answers for ``--seconds``,
   once per value of ``--think``: the mean pause (exponential) after each answer, 1 s by
   default (a fast person), then 0 (a stress test: back to back, so latency is queueing
   for a saturated server). A ``--warmup`` load comes first and is not counted. Reported:
   p50/p99 latency per route, answers/s, server CPU per answer; then checks: stored
   answers == 201 responses, and no item handed to two people;
   With ``--round-at S`` an admin starts a labeling round through the API (what the Rounds
   page does) S seconds into the first measured load, while the annotators keep going; the
   round must finish ``done`` and every answer acknowledged during it must keep its label
   (the project uses the hashing featurizer, so the round is quick to compute);
4. a second load, the server SIGKILLed in the middle of it (after ``--crash-after``
   acknowledged answers, with requests in flight), restarted: every answer acknowledged
   with 201 must be in the database (``--no-crash`` leaves it out);
5. dashboard: GET /api/stats (what the dashboard draws) and GET /dashboard, median of 5.

People authenticate with API keys made at set-up (one per person).

Results go to docs/bench/server.md (``--out``) and to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SECRET = "benchmark-secret-key-0123456789"
PG_ADMIN = os.environ.get(
    "LABELMILL_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
WORDS = (
    "cash",
    "prize",
    "win",
    "free",
    "click",
    "subscribe",
    "video",
    "song",
    "great",
    "love",
    "check",
    "channel",
    "lunch",
    "meeting",
    "tomorrow",
    "report",
    "please",
    "thanks",
    "music",
    "watch",
    "best",
    "ever",
    "amazing",
    "link",
    "offer",
    "now",
    "today",
    "friend",
    "new",
    "money",
    "deal",
    "visit",
    "my",
    "page",
)


# -- building the project ------------------------------------------------------------------
def synthetic_texts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [f"{i} " + " ".join(rng.choices(WORDS, k=rng.randint(5, 18))) for i in range(n)]


def build_project(folder: Path, n: int, db_url: str | None, ranked: float = 0.0) -> float:
    """Create the project and bulk-insert ``n`` items; returns seconds spent inserting.

    ``ranked``: the share of items left as a round leaves them (status ``review``, a
    machine label, a priority in [0, 1)), with a done round on record; the others stay
    ``unlabeled`` as if imported after it.
    """
    import hashlib

    from argon2 import PasswordHasher

    from labelmill import Project
    from labelmill.ingest._write import random_key, unranked_priority
    from labelmill.store import Round, User

    settings = {"featurizer": {"kind": "hashing", "n_features": 256}}
    project = Project.init(folder, classes=["spam", "ham"], db_url=db_url, settings=settings)
    store = project.store
    start = time.perf_counter()
    texts = synthetic_texts(n)
    now = datetime.now(UTC)
    chunk = 50_000
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if store.dialect == "sqlite":
            stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
            cursor.execute("PRAGMA cache_size=-400000")  # 400 MB: random-order index inserts
            cursor.execute("BEGIN")
            for lo in range(0, n, chunk):
                rows = []
                for i in range(lo, min(n, lo + chunk)):
                    item_id = f"it{i:07d}"
                    text = texts[i]
                    rows.append(
                        (
                            i + 1,
                            item_id,
                            json.dumps(text),
                            hashlib.sha256(text.encode()).hexdigest(),
                            random_key(item_id),
                            stamp,
                        )
                    )
                cursor.executemany(
                    "INSERT INTO items (pk, item_id, payload, content_hash, random_key, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
                cursor.executemany(
                    "INSERT INTO labels (item_pk, label, status, priority, updated_at) "
                    "VALUES (?, -1, 'unlabeled', ?, ?)",
                    [(r[0], unranked_priority(r[4]), stamp) for r in rows],
                )
            cursor.execute("COMMIT")
        else:
            stamp = now.isoformat()
            with cursor.copy(
                "COPY items (pk, item_id, payload, content_hash, random_key, created_at) FROM STDIN"
            ) as copy:
                for i in range(n):
                    item_id = f"it{i:07d}"
                    text = texts[i]
                    copy.write_row(
                        (
                            i + 1,
                            item_id,
                            json.dumps(text),
                            hashlib.sha256(text.encode()).hexdigest(),
                            random_key(item_id),
                            stamp,
                        )
                    )
            with cursor.copy(
                "COPY labels (item_pk, label, status, priority, updated_at) FROM STDIN"
            ) as c:
                for i in range(n):
                    key = random_key(f"it{i:07d}")
                    c.write_row((i + 1, -1, "unlabeled", unranked_priority(key), stamp))
            cursor.execute("SELECT setval(pg_get_serial_sequence('items', 'pk'), %s)", (n,))
            cursor.execute("ANALYZE")
            raw.commit()
    finally:
        raw.close()
    if ranked > 0:
        pg = store.dialect == "postgresql"
        mod = "%%" if pg else "%"  # psycopg reads a lone % as a placeholder
        rand = "random()" if pg else "abs(random() % 1000000) / 1e6"
        with store.engine.begin() as conn:
            conn.exec_driver_sql(
                f"UPDATE labels SET status = 'review', label = item_pk {mod} 2, "
                f"confidence = 0.75, priority = {rand} "
                f"WHERE item_pk {mod} 1000 < {int(ranked * 1000)}"
            )
            conn.exec_driver_sql("ANALYZE")
        store.write(lambda s: s.add(Round(status="done", stage="done")))
    seconds = time.perf_counter() - start
    hashed = PasswordHasher().hash("bench-password")
    store.write(
        lambda s: s.add_all(
            [User(name="admin", role="admin", password_hash=hashed, active=True)]
            + [
                User(name=f"u{k:02d}", role="annotator", password_hash=hashed, active=True)
                for k in range(100)
            ]
        )
    )
    keys = {
        name: project.create_api_key(name, "load test")[1]
        for name in ["admin", *(f"u{k:02d}" for k in range(100))]
    }
    (folder / "bench-keys.json").write_text(json.dumps(keys))
    project.close()
    return seconds


def api_keys(folder: Path) -> dict[str, str]:
    """The API key of each simulated person (made by :func:`build_project`)."""
    keys: dict[str, str] = json.loads((folder / "bench-keys.json").read_text())
    return keys


# -- the server subprocess ---------------------------------------------------------------------
def serve(folder: str, port: int, db_url: str | None) -> None:
    import uvicorn

    from labelmill.server import ServerSettings, create_app

    app = create_app(
        ServerSettings(
            project=folder,
            database_url=db_url,
            secret_key=SECRET,
            lease_seconds=120,
            stats_cache_seconds=0,
        )
    )
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start_server(folder: Path, port: int, db_url: str | None) -> subprocess.Popen[bytes]:
    command = [sys.executable, __file__, "--serve", str(folder), "--port", str(port)]
    if db_url:
        command += ["--db-url", db_url]
    process = subprocess.Popen(command, cwd=ROOT)
    wait_ready(f"http://127.0.0.1:{port}", process)
    return process


def wait_ready(base: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not start in time")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc), to report load-free costs."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the load ------------------------------------------------------------------------------------
class Tally:
    def __init__(self) -> None:
        self.round: dict[str, Any] = {}
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.acked: list[tuple[str, str]] = []  # (user, item_id) answered with 201
        self.served: dict[str, set[str]] = defaultdict(set)
        self.errors: dict[str, int] = defaultdict(int)
        self.empty = 0


async def annotator(
    client: Any, user: str, stop_at: float, tally: Tally, stop: asyncio.Event, think: float
) -> None:
    """One person: next -> answer, pausing a random time of mean ``think`` s after each
    answer (exponential, like a person reading the item; 0 = back to back)."""
    import httpx

    rng = random.Random(user)
    async with client:
        if think > 0:  # people do not all start in the same millisecond
            await asyncio.sleep(rng.uniform(0, think))
        while time.monotonic() < stop_at and not stop.is_set():
            try:
                t0 = time.perf_counter()
                got = await client.get("/api/items/next", params={"queue": "review"})
                tally.latency["GET /api/items/next"].append(time.perf_counter() - t0)
                if got.status_code == 204:
                    tally.empty += 1
                    await asyncio.sleep(0.2)
                    continue
                if got.status_code != 200:
                    tally.errors[f"next {got.status_code}"] += 1
                    continue
                item = got.json()["item_id"]
                tally.served[item].add(user)
                label = "spam" if hash(item) % 2 else "ham"
                t0 = time.perf_counter()
                answer = await client.post(f"/api/items/{item}/answers", json={"label": label})
                tally.latency["POST /api/items/{id}/answers"].append(time.perf_counter() - t0)
                if answer.status_code == 201:
                    tally.acked.append((user, item))
                else:
                    tally.errors[f"answer {answer.status_code}"] += 1
                if think > 0:
                    await asyncio.sleep(rng.expovariate(1 / think))
            except httpx.HTTPError as exc:
                tally.errors[type(exc).__name__] += 1
                if stop.is_set():
                    return
                await asyncio.sleep(0.1)


async def run_load(
    base: str,
    users: list[str],
    seconds: float,
    tally: Tally,
    think: float = 0,
    kill: tuple[float, subprocess.Popen[bytes]] | None = None,
    keys: dict[str, str] | None = None,
    round_at: float | None = None,
) -> float:
    import httpx

    keys = keys or {}
    # Clients first: creating one costs the load generator ~20 ms of CPU (an SSL context),
    # which would otherwise stall the requests already in flight and count as latency.
    clients = [
        httpx.AsyncClient(base_url=base, timeout=60, headers={"Authorization": f"Bearer {keys[u]}"})
        for u in users
    ]
    stop = asyncio.Event()
    start = time.monotonic()
    stop_at = start + seconds
    tasks = [
        asyncio.create_task(annotator(c, u, stop_at, tally, stop, think))
        for c, u in zip(clients, users, strict=True)
    ]
    if round_at is not None:
        tasks.append(asyncio.create_task(start_round(base, keys["admin"], round_at, tally)))
    if kill is not None:  # SIGKILL once `after` answers were acknowledged (or 120 s passed)
        after, process = kill
        deadline = time.monotonic() + 120
        while len(tally.acked) < after and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        stop.set()
    await asyncio.gather(*tasks)
    return time.monotonic() - start


async def start_round(base: str, key: str, after: float, tally: Tally) -> None:
    """An admin starts a round through the API ``after`` seconds into the load (what the
    Rounds page does), then follows it until it ends; the answers acknowledged meanwhile
    are remembered."""
    import httpx

    await asyncio.sleep(after)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, timeout=60, headers=headers) as client:
        before = len(tally.acked)
        t0 = time.monotonic()
        started = await client.post("/api/runs", json={})
        tally.round = {"start_status": started.status_code}
        while True:
            await asyncio.sleep(0.5)
            runs = (await client.get("/api/runs")).json()
            if not runs["running"] and runs["rounds"]:
                break
        latest = runs["rounds"][0]
        tally.round.update(
            status=latest["status"],
            error=latest["error"],
            seconds=time.monotonic() - t0,
            answers_during=len(tally.acked) - before,
            acked_during=tally.acked[before:],
        )


def human_labels(folder: Path, db_url: str | None, items: set[str]) -> int:
    """How many of ``items`` have a person's label (status human or gold) now."""
    from sqlalchemy import select

    from labelmill import Project
    from labelmill.store import Item, Label

    with Project.open(folder, db_url=db_url) as project, project.store.session() as session:
        rows = session.execute(
            select(Item.item_id, Label.status).join(Label, Label.item_pk == Item.pk)
        ).all()
    return sum(1 for item, status in rows if item in items and status in ("human", "gold"))


def stored_answers(folder: Path, db_url: str | None) -> set[tuple[str, str]]:
    from sqlalchemy import select

    from labelmill import Project
    from labelmill.store import Item, Source, Vote

    with Project.open(folder, db_url=db_url) as project, project.store.session() as session:
        rows = session.execute(
            select(Source.name, Item.item_id)
            .join(Vote, Vote.source_id == Source.id)
            .join(Item, Item.pk == Vote.item_pk)
            .where(Source.kind == "human", Vote.label != -1)
        ).all()
    return {(u, i) for u, i in rows}


def quantiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    if not ordered:
        return float("nan"), float("nan")
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return statistics.median(ordered) * 1000, p99 * 1000


def dashboard_times(base: str, folder: Path, db_url: str | None) -> dict[str, float]:
    import httpx

    from labelmill import Project
    from labelmill.server.auth import TokenSigner

    with Project.open(folder, db_url=db_url) as project:
        sid = project.open_session("admin", "session", seconds=3600)
    session = TokenSigner(SECRET, 3600).sign("admin", kind="session", sid=sid)
    out = {}
    with httpx.Client(base_url=base, timeout=60) as client:
        headers = {"Authorization": f"Bearer {api_keys(folder)['admin']}"}
        client.cookies.set("labelmill_session", session)
        for name, path, h in (
            ("GET /api/stats", "/api/stats", headers),
            ("GET /dashboard (page)", "/dashboard", None),
            ("GET /api/rules", "/api/rules", headers),
        ):
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                response = client.get(path, headers=h)
                times.append(time.perf_counter() - t0)
                assert response.status_code == 200, (path, response.status_code)
            out[name] = statistics.median(times) * 1000
    return out


# -- one database ------------------------------------------------------------------------------
def bench(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix=f"labelmill-bench-{kind}-")) / "proj"
    db_url = None
    admin_engine = None
    db_name = None
    if kind == "postgresql":
        import sqlalchemy as sa

        db_name = f"labelmill_bench_{uuid.uuid4().hex[:10]}"
        admin_engine = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{db_name}"'))
        db_url = PG_ADMIN.rsplit("/", 1)[0] + f"/{db_name}"
    try:
        print(f"[{kind}] building {args.items:,} items ...", flush=True)
        insert_seconds = build_project(folder, args.items, db_url, args.ranked)
        print(f"[{kind}] inserted in {insert_seconds:.1f} s; starting the server", flush=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        process = start_server(folder, port, db_url)
        users = [f"u{k:02d}" for k in range(args.users)]
        keys = api_keys(folder)
        loads, all_acked = [], set()
        round_info: dict[str, Any] = {}
        try:
            if args.warmup > 0:  # first requests compile statements and create sources
                warmup = Tally()
                asyncio.run(run_load(base, users, args.warmup, warmup, args.think[0], keys=keys))
                all_acked |= set(warmup.acked)
            for i, think in enumerate(args.think):
                print(f"[{kind}] load: {args.users} annotators, pause {think} s", flush=True)
                tally = Tally()
                cpu0, client0 = cpu_seconds(process.pid), time.process_time()
                round_at = args.round_at if i == 0 else None
                elapsed = asyncio.run(
                    run_load(base, users, args.seconds, tally, think, keys=keys, round_at=round_at)
                )
                if tally.round:
                    round_info = dict(tally.round)
                    during = {item for _u, item in round_info.pop("acked_during")}
                    round_info["kept_label_after"] = during
                cpu = cpu_seconds(process.pid) - cpu0
                client_cpu = time.process_time() - client0
                acked = set(tally.acked)
                all_acked |= acked
                loads.append(
                    {
                        "think": think,
                        "seconds": elapsed,
                        "latency": {r: quantiles(v) for r, v in tally.latency.items()},
                        "requests": {r: len(v) for r, v in tally.latency.items()},
                        "answers": len(acked),
                        "answers_per_s": len(acked) / elapsed,
                        "server_cpu_ms_per_answer": 1000 * cpu / max(len(acked), 1),
                        "server_cpu_share": cpu / elapsed,
                        "client_cpu_share": client_cpu / elapsed,
                        # An item served to two people within one load (leases are 120 s long).
                        "double_served": sum(1 for who in tally.served.values() if len(who) > 1),
                        "errors": dict(tally.errors),
                        "empty": tally.empty,
                        "round": bool(tally.round),
                    }
                )
            dash = dashboard_times(base, folder, db_url)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
        stored = stored_answers(folder, db_url)
        if round_info:
            during = round_info.pop("kept_label_after")
            round_info["answers_during_kept"] = human_labels(folder, db_url, during)
            round_info["answers_during_items"] = len(during)
        result: dict[str, Any] = {
            "kind": kind,
            "items": args.items,
            "users": args.users,
            "insert_seconds": insert_seconds,
            "loads": loads,
            "answers": len(all_acked),
            "stored": len(stored),
            "lost": len(all_acked - stored),
            "unacked_stored": len(stored - all_acked),
            "dashboard": dash,
            "round": round_info,
        }
        if args.no_crash:
            return result
        # Crash: SIGKILL the server in the middle of a second load, restart, check.
        print(f"[{kind}] crash test", flush=True)
        process = start_server(folder, port, db_url)
        crash = Tally()
        try:
            asyncio.run(
                run_load(base, users, 150, crash, kill=(args.crash_after, process), keys=keys)
            )
        finally:
            if process.poll() is None:
                process.kill()
        process = start_server(folder, port, db_url)  # the restart must work
        try:
            import httpx

            after = httpx.get(
                base + "/api/items/next?queue=review",
                timeout=60,
                headers={"Authorization": f"Bearer {keys['u00']}"},
            ).status_code
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(30)
        stored_after = stored_answers(folder, db_url)
        crash_acked = set(crash.acked)
        result["crash"] = {
            "acked_before_kill": len(crash_acked),
            "missing_after_restart": len(crash_acked - stored_after),
            "first_load_still_there": len(all_acked - stored_after) == 0,
            "next_after_restart": after,
            "errors": dict(crash.errors),
        }
        return result
    finally:
        if admin_engine is not None:
            import sqlalchemy as sa

            with admin_engine.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
            admin_engine.dispose()


# -- report ---------------------------------------------------------------------------------------
def report(results: list[dict[str, Any]], args: argparse.Namespace, command: str) -> str:
    out = io.StringIO()
    w = out.write
    w("## Server under load (`benchmarks/server_load.py`)\n\n")
    w(f"Command: `{command}`  \n")
    w(
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other jobs (noisy; "
        f"load average {args.load_before:.1f} when the run started), "
        f"Python {platform.python_version()}; server: uvicorn, 1 process, loopback; "
        f"{args.users} simulated annotators (httpx.AsyncClient) doing next -> answer on the "
        f"review queue for {args.seconds:g} s per load, pausing a random time (exponential, "
        "the mean in the table) after each answer; pause 0 is a stress test with no pause at all; "
        f"after a {args.warmup:g} s warm-up load that is not counted. "
        "Items written by a direct bulk insert (not `Project.import_items`); "
        f"{args.ranked:.0%} of them as a round leaves them (status review, a priority, a done "
        "round on record, so the review queue mixes in blind audit items), the rest unlabeled. "
        "No peer: this measures labelmill alone.\n\n"
    )
    w(
        "| database | items | pause (s) | p50 / p99 next (ms) | p50 / p99 answer (ms) | "
        "answers/s | server CPU per next+answer (ms) | server CPU share | served to 2 people | "
        "errors |\n"
    )
    w("|---|---|---|---|---|---|---|---|---|---|\n")
    for r in results:
        for load in r["loads"]:
            nxt = load["latency"].get("GET /api/items/next", (float("nan"),) * 2)
            ans = load["latency"].get("POST /api/items/{id}/answers", (float("nan"),) * 2)
            w(
                f"| {r['kind']} | {r['items']:,} | {load['think']:g} | "
                f"{nxt[0]:.0f} / {nxt[1]:.0f} | "
                f"{ans[0]:.0f} / {ans[1]:.0f} | {load['answers_per_s']:.1f} | "
                f"{load['server_cpu_ms_per_answer']:.1f} | {load['server_cpu_share']:.2f} | "
                f"{load['double_served']} | {sum(load['errors'].values())} |\n"
            )
    w("\nAnswers over all loads: acknowledged (201) against stored after the server stopped:\n\n")
    w("| database | answers (201) | stored | lost | stored without a 201 |\n")
    w("|---|---|---|---|---|\n")
    for r in results:
        w(
            f"| {r['kind']} | {r['answers']} | {r['stored']} | {r['lost']} | "
            f"{r['unacked_stored']} |\n"
        )
    if any(r.get("round") for r in results):
        w(
            f"\nA round started through the API (as the Rounds page does) {args.round_at:g} s "
            "into the first measured load, the annotators labeling on:\n\n"
        )
        w(
            "| database | round | took (s) | answers acknowledged while it ran | "
            "of those items, still labeled by their person after it |\n|---|---|---|---|---|\n"
        )
        for r in results:
            info = r.get("round") or {}
            status = info.get("status", "–") + (f" ({info['error']})" if info.get("error") else "")
            w(
                f"| {r['kind']} | {status} | {info.get('seconds', float('nan')):.1f} | "
                f"{info.get('answers_during', 0)} | {info.get('answers_during_kept', 0)} of "
                f"{info.get('answers_during_items', 0)} |\n"
            )
    crashed = [r for r in results if "crash" in r]
    if crashed:
        w("\nCrash test (SIGKILL of the server during a second load, then restart):\n\n")
        w(
            "| database | answers acknowledged before the kill | missing after restart | "
            "earlier answers intact | first request after restart |\n|---|---|---|---|---|\n"
        )
        for r in crashed:
            c = r["crash"]
            intact = "yes" if c["first_load_still_there"] else "NO"
            w(
                f"| {r['kind']} | {c['acked_before_kill']} | {c['missing_after_restart']} | "
                f"{intact} | HTTP {c['next_after_restart']} |\n"
            )
    w(
        "\nDashboard at this size (median of 5, after the load; the server's 2 s cache of "
        "/api/stats turned off, so each request computes it):\n\n"
    )
    w("| database | " + " | ".join(results[0]["dashboard"]) + " | bulk insert (s) |\n")
    w("|---|" + "---|" * (len(results[0]["dashboard"]) + 1) + "\n")
    for r in results:
        w(
            f"| {r['kind']} | "
            + " | ".join(f"{v:.0f} ms" for v in r["dashboard"].values())
            + f" | {r['insert_seconds']:.1f} |\n"
        )
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument(
        "--ranked",
        type=float,
        default=0.5,
        help="Share of items in the state a round leaves them (review, with "
        "a priority); the rest unlabeled. 0: a fresh project, no round yet.",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=5,
        help="Seconds of load before the measured loads (not counted).",
    )
    parser.add_argument(
        "--think",
        default="1,0",
        type=lambda t: [float(x) for x in t.split(",")],
        help="Mean pause of an annotator after each answer, in seconds; one "
        "load per value (default: 1 s, then none at all).",
    )
    parser.add_argument(
        "--crash-after",
        type=int,
        default=40,
        help="SIGKILL the server after this many acknowledged answers.",
    )
    parser.add_argument(
        "--round-at",
        type=float,
        default=None,
        help="Start a labeling round through the API this many seconds into the first "
        "measured load (the annotators keep labeling).",
    )
    parser.add_argument("--no-crash", action="store_true", help="Leave out the SIGKILL test.")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--out", default=str(ROOT / "docs" / "bench" / "server.md"))
    parser.add_argument("--json", default=None, help="Also write the raw results here.")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.db_url)
        return
    args.load_before = os.getloadavg()[0]
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = [bench(kind, args) for kind in kinds]
    command = ".venv/bin/python benchmarks/server_load.py " + " ".join(sys.argv[1:])
    text = report(results, args, command.strip())
    print(text)
    print(json.dumps(results, indent=1, default=str))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
