"""The container's start script, run outside a container: migrate and seed once, then several workers
serve from one database."""

import os
import socket
import subprocess
import time
from pathlib import Path

import httpx

from tests.conftest import PROJECT_ROOT, SEED_DIR
from tests.databases import scratch_database

SQUAT = {"type": "overhead_squat", "findings": [{"compensation": "knees_move_inward", "side": "bilateral"}]}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError("the server did not become ready within 60 s")


def test_start_script_migrates_once_and_serves_with_two_workers(tmp_path: Path) -> None:
    with scratch_database(tmp_path) as url:
        port = _free_port()
        env = {
            **os.environ,
            "PATH": f"{PROJECT_ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "CEPLAN_DATABASE_URL": url,
            "CEPLAN_SEED_DIR": str(SEED_DIR),
            "CEPLAN_AUTO_MIGRATE": "false",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WORKERS": "2",
        }
        process = subprocess.Popen(
            [str(PROJECT_ROOT / "scripts" / "start.sh")],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(base, process)
            answers = [httpx.post(f"{base}/v1/plans", json={"assessments": [SQUAT]}, timeout=10) for _ in range(20)]
            assert {a.status_code for a in answers} == {200}
            assert len({a.json()["plan_id"] for a in answers}) == 1
        finally:
            process.terminate()
            output, _ = process.communicate(timeout=30)
        assert output.count("database migrated to head") == 1
        assert output.count("catalogue updated") == 1
        assert output.count('"message": "Started server process') == 2
        assert output.count('"message": "Application startup complete.') == 2
