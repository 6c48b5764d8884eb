"""The real server under test: scratch databases (SQLite file, PostgreSQL database), `ceplan serve`, its memory
and CPU time read from /proc."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

from tests.benchmarks.load import log

REPO = Path(__file__).resolve().parents[2]
SEED_DIR = REPO / "seed"
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def ceplan_env(url: str, *, auto_migrate: bool, log_level: str = "INFO") -> dict[str, str]:
    """The environment of a ceplan process on `url`: only the benchmark's settings, whatever the caller has set."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CEPLAN_")}
    return base | {
        "CEPLAN_DATABASE_URL": url,
        "CEPLAN_AUTO_MIGRATE": "true" if auto_migrate else "false",
        "CEPLAN_SEED_DIR": str(SEED_DIR),
        "CEPLAN_LOG_LEVEL": log_level,
        "CEPLAN_REQUIRE_API_KEY": "false",
    }


def ceplan(*args: str, url: str) -> None:
    """Run the `ceplan` command (python -m app.cli) on a database; fail loudly with its output."""
    env = ceplan_env(url, auto_migrate=False, log_level="WARNING")
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *args], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"ceplan {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def prepare(url: str) -> None:
    ceplan("migrate", url=url)
    ceplan("seed", url=url)


@contextmanager
def postgres_database(admin_url: str, purpose: str) -> Iterator[str]:
    """A fresh database on the PostgreSQL server of `admin_url`, dropped at the end; yields its SQLAlchemy URL."""
    name = f"ceplan_bench_{purpose}_{os.getpid()}_{int(time.time())}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    info = psycopg.conninfo.conninfo_to_dict(admin_url)
    host, port, user = info.get("host", "127.0.0.1"), info.get("port", "5432"), info.get("user", "postgres")
    try:
        yield f"postgresql+psycopg://{user}@{host}:{port}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def rss_mb(pid: int) -> float:
    """Resident memory (VmRSS) of a process, in MB (MiB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


class Server:
    """`python -m app.cli serve --port P` (uvicorn, one worker) on a database, its log in a file."""

    def __init__(self, url: str, *, auto_migrate: bool, log_file: Path, log_level: str) -> None:
        self.url = url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._log = log_file.open("wb")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port), "--workers", "1"],
            cwd=REPO,
            env=ceplan_env(url, auto_migrate=auto_migrate, log_level=log_level),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.log_file = log_file
        self.worker_pid = self._process.pid

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the server exited with {self._process.returncode}:\n{self.tail()}")
            try:
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError(f"the server was not ready within {timeout:.0f} s:\n{self.tail()}")
        # With one worker uvicorn serves in the process it was started in; with more, the workers are children.
        children = _children(self._process.pid)
        self.worker_pid = children[-1] if children else self._process.pid

    def rss_mb(self) -> float:
        return rss_mb(self.worker_pid)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.worker_pid)

    def tail(self, lines: int = 30) -> str:
        self._log.flush()
        with self.log_file.open("rb") as handle:
            handle.seek(max(0, self.log_file.stat().st_size - 20_000))
            return b"\n".join(handle.read().splitlines()[-lines:]).decode(errors="replace")

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                log(f"server {self._process.pid} did not stop on SIGINT; killing it")
                self._process.kill()
                self._process.wait()
        self._log.close()
