"""The container's start script, run outside a container: migrate and seed once, then several workers
serve from one database."""

import os
import subprocess
from pathlib import Path

import httpx

from tests.conftest import PROJECT_ROOT, SEED_DIR
from tests.databases import scratch_database
from tests.live_server import free_port, wait_until_ready

SQUAT = {"type": "overhead_squat", "findings": [{"compensation": "knees_move_inward", "side": "bilateral"}]}


def test_start_script_migrates_once_and_serves_with_two_workers(tmp_path: Path) -> None:
    with scratch_database(tmp_path) as url:
        port = free_port()
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
            wait_until_ready(base, process, lambda: process.stdout.read() if process.stdout else "", timeout=60)
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
