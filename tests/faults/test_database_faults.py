"""The real server (`ceplan serve` in a subprocess) while its database fails and comes back, and while it stops.

- PostgreSQL: a throwaway cluster of the test's own (never the shared server on 5432) is stopped under a running
  ceplan and started again. Plans, analyses and catalogue reads keep being answered from the in-memory catalogue,
  writes get 503 with Retry-After, /readyz says the database is down; once the database is back, writes and
  /readyz work again within a few seconds, without restarting ceplan, and no acknowledged write is lost.
- SQLite: a running server keeps its database file open, so renaming or chmod-ing the file or its folder does not
  reach it (the first test shows that: writes go on, into the moved file, and none is lost). Faults that do reach
  a running SQLite server are tested instead: the disk refusing writes (the server's file-size limit set to 0, as a
  full disk does) and another process holding the write lock (a backup, a migration, an open `sqlite3` shell).
- Graceful shutdown: SIGTERM while big plan batches are in flight.

These tests bring their own databases and servers, so they do not depend on CEPLAN_TEST_DATABASE_URL: they run
once, in CI's SQLite pass, and are skipped in its PostgreSQL pass.
"""

import json
import os
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import pytest

from app.services.setup import prepare_database
from tests.databases import POSTGRES_URL
from tests.live_server import SEED_DIR, LiveServer, PlanRequests, create_api_key, free_port

pytestmark = pytest.mark.skipif(
    POSTGRES_URL is not None,
    reason="the fault tests bring their own databases: they ran in the SQLite pass (CEPLAN_TEST_DATABASE_URL unset)",
)

PG_BIN = Path(os.environ.get("CEPLAN_PG_BIN", "/usr/lib/postgresql/15/bin"))
PROBLEM = "application/problem+json"
SQUAT = {
    "type": "overhead_squat",
    "findings": [
        {"compensation": "knees_move_inward", "side": "bilateral"},
        {"compensation": "low_back_arches", "side": None},
    ],
}
PLAN = {"assessments": [SQUAT], "preferences": {"mode": "warm_up", "session_minutes": 10}}
RECOVERY_SECONDS = 10


class ThrowawayPostgres:
    """A PostgreSQL cluster of the test's own on a free loopback port, in a temporary folder owned by postgres
    (initdb refuses root, so as root every tool runs as the postgres user)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="ceplan-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self.running = False
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        command = [str(PG_BIN / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}\n{result.stderr}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "postgres.log"), "-w", "-o", options, "start")
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")
        self.running = False

    def __enter__(self) -> "ThrowawayPostgres":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            if self.running:
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def postgres() -> Iterator[ThrowawayPostgres]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"no PostgreSQL server binaries at {PG_BIN} (set CEPLAN_PG_BIN)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: initdb cannot run as the postgres user")
    with ThrowawayPostgres() as cluster:
        cluster.start()
        yield cluster


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def _create_template(client: httpx.Client, key: str, slug: str) -> httpx.Response:
    return client.post("/v1/plan-templates", json={"slug": slug, "title": slug}, headers={"X-API-Key": key})


def _assert_served_from_memory(client: httpx.Client, revision: str | None) -> None:
    """Plans, analyses and catalogue reads answer from the snapshot the server holds (of `revision`, if given)."""
    for _ in range(5):
        plan = client.post("/v1/plans", json=PLAN)
        assert plan.status_code == 200, plan.text
        assert plan.json()["status"] == "plan"
        assert revision is None or plan.headers["X-Catalogue-Version"] == revision
        analysis = client.post("/v1/analyses", json=PLAN)
        assert analysis.status_code == 200, analysis.text
        exercises = client.get("/v1/exercises", params={"muscle": "gluteus_medius", "limit": 5})
        assert exercises.status_code == 200, exercises.text
        assert exercises.json()["items"]


def _settled_revision(client: httpx.Client) -> str:
    """The catalogue revision plans are made from, once the watcher (every second) has caught up with writes."""
    time.sleep(1.5)
    return client.post("/v1/plans", json=PLAN).headers["X-Catalogue-Version"]


def _wait_for(what: str, check: Callable[[], bool], seconds: float) -> float:
    """Seconds until `check` holds; fails after `seconds`."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {seconds} s")


def test_postgres_stopped_and_started_under_a_running_server(postgres: ThrowawayPostgres, tmp_path: Path) -> None:
    prepare_database(postgres.url, SEED_DIR)
    key = create_api_key(postgres.url, "faults")
    with (
        LiveServer(postgres.url, tmp_path / "server.log") as server,
        httpx.Client(base_url=server.base_url, timeout=30) as client,
    ):
        assert _create_template(client, key, "before_outage").status_code == 201
        revision = _settled_revision(client)
        _assert_served_from_memory(client, revision)
        assert client.get("/readyz").status_code == 200

        postgres.stop()
        down = client.get("/readyz")
        assert down.status_code == 503, down.text
        assert down.json()["database"] == "unreachable"
        _assert_served_from_memory(client, revision)
        time.sleep(2.5)  # the catalogue watcher (every second) has met the outage by now: still served from memory
        _assert_served_from_memory(client, revision)
        refused = _create_template(client, key, "during_outage")
        _problem(refused, 503, "database_unavailable")
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert client.get("/readyz").status_code == 503

        postgres.start()
        attempts: list[tuple[str, int]] = []

        def write_works() -> bool:
            slug = f"after_outage_{len(attempts)}"
            attempts.append((slug, _create_template(client, key, slug).status_code))
            return attempts[-1][1] == 201

        recovered_in = _wait_for("writes work again after the database is back", write_works, RECOVERY_SECONDS)
        _wait_for("/readyz is 200 again", lambda: client.get("/readyz").status_code == 200, RECOVERY_SECONDS)
        assert {status for _slug, status in attempts} <= {201, 503}, attempts
        assert recovered_in < RECOVERY_SECONDS
        _assert_served_from_memory(client, None)
        assert server.process.poll() is None  # the same process throughout: nobody restarted it

        headers = {"X-API-Key": key}
        for slug in ["before_outage", *(slug for slug, status in attempts if status == 201)]:
            assert client.get(f"/v1/plan-templates/{slug}", headers=headers).status_code == 200, slug
        for slug in ["during_outage", *(slug for slug, status in attempts if status != 201)]:
            assert client.get(f"/v1/plan-templates/{slug}", headers=headers).status_code == 404, slug


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[tuple[LiveServer, str, Path]]:
    """A server on its own SQLite file, migrated and seeded by `ceplan serve`, and a read-write key."""
    folder = tmp_path / "data"
    folder.mkdir()
    database = folder / "ceplan.db"
    url = f"sqlite:///{database}"
    with LiveServer(url, tmp_path / "server.log", auto_migrate="true") as server:
        yield server, create_api_key(url, "faults"), database


def test_sqlite_moved_away_and_back_loses_no_write(sqlite_server: tuple[LiveServer, str, Path]) -> None:
    server, key, database = sqlite_server
    away = database.parent.with_name("moved_away")
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        assert _create_template(client, key, "before_move").status_code == 201
        database.parent.rename(away)
        try:
            # The open connections still reach the file by its descriptor: nothing fails, and writes land in it.
            assert client.get("/readyz").status_code == 200
            assert client.post("/v1/plans", json=PLAN).status_code == 200
            assert _create_template(client, key, "while_moved").status_code == 201
        finally:
            away.rename(database.parent)
        assert _create_template(client, key, "after_move").status_code == 201
        for slug in ("before_move", "while_moved", "after_move"):
            assert client.get(f"/v1/plan-templates/{slug}", headers={"X-API-Key": key}).status_code == 200, slug
    with closing(sqlite3.connect(database)) as check:
        stored = {row[0] for row in check.execute("SELECT slug FROM plan_template")}
    assert {"before_move", "while_moved", "after_move"} <= stored


def test_sqlite_disk_refusing_writes_then_recovering(sqlite_server: tuple[LiveServer, str, Path]) -> None:
    server, key, _database = sqlite_server
    pid = server.process.pid
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        assert _create_template(client, key, "before_full").status_code == 201
        revision = _settled_revision(client)
        limit = resource.prlimit(pid, resource.RLIMIT_FSIZE)
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (0, limit[1]))  # every write to a file now fails (EFBIG)
        try:
            refused = _create_template(client, key, "while_full")
            _problem(refused, 503, "database_unavailable")
            assert 1 <= int(refused.headers["Retry-After"]) <= 60
            _assert_served_from_memory(client, revision)
            time.sleep(1.5)  # a watcher cycle: still served
            _assert_served_from_memory(client, revision)
            # /readyz runs SELECT 1, which still works on a disk that refuses writes: it stays 200.
            assert client.get("/readyz").status_code == 200
        finally:
            resource.prlimit(pid, resource.RLIMIT_FSIZE, limit)
        _wait_for(
            "writes work again",
            lambda: _create_template(client, key, "after_full").status_code == 201,
            RECOVERY_SECONDS,
        )
        headers = {"X-API-Key": key}
        assert client.get("/v1/plan-templates/before_full", headers=headers).status_code == 200
        assert client.get("/v1/plan-templates/while_full", headers=headers).status_code == 404
        assert client.get("/v1/plan-templates/after_full", headers=headers).status_code == 200
        assert server.process.poll() is None


def test_sqlite_write_lock_held_by_another_process(sqlite_server: tuple[LiveServer, str, Path]) -> None:
    server, key, database = sqlite_server
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        revision = _settled_revision(client)
        holder = sqlite3.connect(database, isolation_level=None, timeout=10)
        try:
            holder.execute("BEGIN IMMEDIATE")  # what a backup, a migration or an open sqlite3 shell can hold
            started = time.monotonic()
            refused = _create_template(client, key, "while_locked")
            waited = time.monotonic() - started
            _problem(refused, 503, "database_unavailable")
            assert refused.headers["Retry-After"]
            assert waited < 15, f"a write waited {waited:.1f} s for the lock"
            _assert_served_from_memory(client, revision)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert _create_template(client, key, "after_lock").status_code == 201
        assert client.get("/v1/plan-templates/while_locked", headers={"X-API-Key": key}).status_code == 404


def _send(port: int, path: str, body: Any) -> socket.socket:
    """A complete HTTP request, written to the socket before this returns (so it is in flight, not queued here)."""
    payload = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    ).encode()
    connection = socket.create_connection(("127.0.0.1", port), timeout=60)
    connection.sendall(head + payload)
    return connection


def _receive(connection: socket.socket) -> tuple[int, bytes]:
    """Status and body of the answer (read to the end: the request said Connection: close)."""
    chunks = []
    with connection:
        try:
            while chunk := connection.recv(1 << 16):
                chunks.append(chunk)
        except ConnectionError as error:
            return 0, f"{type(error).__name__}: {error}".encode()
    raw = b"".join(chunks)
    if not raw:
        return 0, b"connection closed without an answer"
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def _complete_batch(status: int, body: bytes, size: int) -> bool:
    if status != 200:
        return False
    try:
        results = json.loads(body)["results"]
    except ValueError:
        return False
    return len(results) == size and all(result["status"] == 200 for result in results)


def _assert_clean_exit(code: int, output: str) -> None:
    # uvicorn shuts down cleanly (the answers above arrived), then re-raises the SIGTERM it caught so a
    # supervisor sees how the process ended: -15 is a graceful stop, a crash would be another code.
    assert code in (0, -signal.SIGTERM), f"ceplan serve exited with {code} after SIGTERM:\n{output[-3000:]}"


def test_sigterm_lets_an_in_flight_batch_finish(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ceplan.db'}"
    with LiveServer(url, tmp_path / "server.log", auto_migrate="true") as server:
        requests = PlanRequests(server.base_url, seed=7)
        started = time.monotonic()
        warm = httpx.post(f"{server.base_url}/v1/plans/batch", json={"requests": requests.many(100)}, timeout=60)
        took = time.monotonic() - started
        assert warm.status_code == 200

        in_flight = _send(server.port, "/v1/plans/batch", {"requests": requests.many(100)})
        time.sleep(min(took / 4, 0.05))  # the server has read it and is building the 100 plans
        server.signal(signal.SIGTERM)
        status, body = _receive(in_flight)
        assert _complete_batch(status, body, 100), (status, body[:500])
        code = server.wait(timeout=30)
        _assert_clean_exit(code, server.output())


def test_sigterm_lets_every_sent_batch_finish(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ceplan.db'}"
    with LiveServer(url, tmp_path / "server.log", auto_migrate="true") as server:
        requests = PlanRequests(server.base_url, seed=11)
        assert httpx.post(f"{server.base_url}/v1/plans/batch", json={"requests": requests.many(100)}).status_code == 200
        batches = [requests.many(100) for _ in range(4)]
        connections = [_send(server.port, "/v1/plans/batch", {"requests": batch}) for batch in batches]
        time.sleep(0.05)
        server.signal(signal.SIGTERM)  # all four requests were sent in full before this
        answers = [_receive(connection) for connection in connections]
        assert all(_complete_batch(status, body, 100) for status, body in answers), [
            "complete" if _complete_batch(status, body, 100) else (status, body[:80]) for status, body in answers
        ]
        code = server.wait(timeout=30)
        _assert_clean_exit(code, server.output())
