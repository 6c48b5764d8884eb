"""The real server as a subprocess (`python -m app.cli serve`), for tests and tools that need a process to fuzz,
load, starve of its database or signal: free ports, start, wait until ready, stop, read its memory."""

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SEED_DIR = PROJECT_ROOT / "seed"
BIN_DIR = Path(sys.executable).parent
SIDES = ["left", "right", "bilateral", None]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_ready(
    base_url: str, process: "subprocess.Popen[Any]", output: Callable[[], str], timeout: float = 90
) -> None:
    """Poll GET /readyz until it answers 200; fail with the server's output if it exits or takes too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}:\n{output()}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the server was not ready within {timeout} s:\n{output()}")


def ceplan_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a ceplan command on `database_url`; `settings` are CEPLAN_* values (key without prefix)."""
    # Only these settings: a developer's CEPLAN_* variables (or a .env) must not change what is tested.
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("CEPLAN_")},
        "CEPLAN_DATABASE_URL": database_url,
        "CEPLAN_SEED_DIR": str(SEED_DIR),
        "CEPLAN_AUTO_MIGRATE": "false",
        "CEPLAN_LOG_LEVEL": "WARNING",
    }
    env.pop("PORT", None)
    env.update({f"CEPLAN_{name.upper()}": value for name, value in settings.items()})
    return env


def create_api_key(database_url: str, tenant: str) -> str:
    """A read-write key for `tenant`, made the way an operator makes one: `ceplan apikey create`."""
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "apikey", "create", "--tenant", tenant],
        env=ceplan_env(database_url),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


class LiveServer:
    """`ceplan serve` on a free loopback port.

    Its output goes through a pipe that a thread copies to `log_path`: a pipe nobody reads would block the server,
    and a pipe (unlike a file) keeps working when a test limits the size of the files the server may write.
    """

    def __init__(self, database_url: str, log_path: Path, **settings: str) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.database_url = database_url
        self._env = ceplan_env(database_url, **settings)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=PROJECT_ROOT,
            env=self._env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self._copier = threading.Thread(target=self._copy_output, name="server-output", daemon=True)
        self._copier.start()

    def _copy_output(self) -> None:
        assert self.process.stdout is not None
        with self.log_path.open("wb") as log:
            for line in self.process.stdout:
                log.write(line)
                log.flush()
        self.process.stdout.close()

    def __enter__(self) -> "LiveServer":
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def output(self) -> str:
        """What the server printed so far (all of it, once it has exited)."""
        if self.process.poll() is not None:
            self._copier.join(timeout=10)
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def wait_ready(self, timeout: float = 90) -> None:
        wait_until_ready(self.base_url, self.process, self.output, timeout)

    def rss_kib(self) -> int:
        """Resident memory of the server process, from /proc (kB)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS in /proc status")

    def cpu_seconds(self) -> float:
        """User plus system CPU time the server process has used, from /proc."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def signal(self, number: signal.Signals) -> None:
        self.process.send_signal(number)

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM, then SIGKILL if it does not exit in time. Returns the exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._copier.join(timeout=10)
        return self.process.returncode


class PlanRequests:
    """Valid, different plan requests (so that no per-snapshot memo answers them all), drawn from what the server
    lists: GET /v1/assessments, /v1/compensations (for the pairs that exclude each other) and /v1/equipment."""

    def __init__(self, base_url: str, seed: int) -> None:
        self._draw = random.Random(seed)
        with httpx.Client(base_url=base_url, timeout=30) as client:
            self._assessments = client.get("/v1/assessments").raise_for_status().json()
            excludes = {
                c["slug"]: set(c["excludes"]) for c in client.get("/v1/compensations").raise_for_status().json()
            }
            self._equipment = [e["slug"] for e in client.get("/v1/equipment").raise_for_status().json()]
        self._excludes = excludes

    def _findings(self, assessment: dict[str, Any]) -> list[dict[str, Any]]:
        findings: list[dict[str, Any]] = []
        chosen: set[str] = set()
        options = assessment["compensations"]
        for compensation in self._draw.sample(options, self._draw.randint(1, min(4, len(options)))):
            slug = compensation["slug"]
            if self._excludes.get(slug, set()) & chosen:
                continue
            chosen.add(slug)
            side = self._draw.choice(SIDES) if compensation.get("lateral") else None
            findings.append({"compensation": slug, "side": side})
        return findings

    def one(self) -> dict[str, Any]:
        draw = self._draw
        assessments = draw.sample(self._assessments, draw.randint(1, min(3, len(self._assessments))))
        equipment = [None, [], draw.sample(self._equipment, draw.randint(1, len(self._equipment)))]
        return {
            "assessments": [{"type": a["slug"], "findings": self._findings(a)} for a in assessments],
            "preferences": {
                "mode": draw.choice(["standalone", "warm_up", "cool_down"]),
                "session_minutes": draw.choice([None, *range(5, 181, 5)]),
                "equipment": draw.choice(equipment),
                "level": draw.randint(1, 3),
            },
        }

    def many(self, count: int) -> list[dict[str, Any]]:
        return [self.one() for _ in range(count)]
