"""The `ceplan` command as an operator uses it."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings, get_settings
from app.db.engine import make_engine
from app.services.accounts import list_keys
from tests.conftest import SEED_DIR, status_within


def _ceplan(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CEPLAN_DATABASE_URL": settings.database_url,
        "CEPLAN_SEED_DIR": str(SEED_DIR),
        "CEPLAN_AUTO_MIGRATE": "false",
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )


def test_apikey_create_prints_the_key_once_and_revoke_stops_it(
    writable_settings: Settings, writable_client: TestClient
) -> None:
    created = _ceplan(writable_settings, "apikey", "create", "--tenant", "cli_gym")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("cep_") and "cli_gym" in created.stderr
    headers = {"X-API-Key": key}
    assert (
        writable_client.post("/v1/plan-templates", json={"slug": "cli_t", "title": "T"}, headers=headers).status_code
        == 201
    )
    listing = _ceplan(writable_settings, "apikey", "list")
    prefix = key.split("_")[1]
    assert prefix in listing.stdout and key.split("_", 2)[2] not in listing.stdout

    revoked = _ceplan(writable_settings, "apikey", "revoke", prefix)
    assert revoked.returncode == 0
    # Each worker trusts a key it has just seen for key_cache_seconds: revocation takes effect within that.

    def send() -> Any:
        return writable_client.get("/v1/plan-templates", headers=headers)

    assert status_within(send, 401, writable_settings.key_cache_seconds + 1) == 401
    assert _ceplan(writable_settings, "apikey", "revoke", prefix).returncode == 1


def test_seed_reports_nothing_to_change_on_a_seeded_database(writable_settings: Settings) -> None:
    result = _ceplan(writable_settings, "seed")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("nothing to change")
    assert "exercise: 0 added, 0 changed" in result.stdout


def test_every_command_explains_itself() -> None:
    for command in ([], ["migrate"], ["seed"], ["serve"], ["plan"], ["apikey", "create"], ["apikey", "revoke"]):
        result = subprocess.run(
            [sys.executable, "-m", "app.cli", *command, "--help"], capture_output=True, text=True, check=True
        )
        assert "Usage" in result.stdout


@pytest.mark.parametrize("tenant", ["", "shared", "Acme", "acme gym", "acme-gym", "a", "_acme", "x" * 65, "acme\n"])
def test_apikey_create_refuses_a_tenant_name_that_is_not_a_slug_or_is_reserved(
    writable_settings: Settings, monkeypatch: pytest.MonkeyPatch, tenant: str
) -> None:
    monkeypatch.setenv("CEPLAN_DATABASE_URL", writable_settings.database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["apikey", "create", "--tenant", tenant])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    assert result.stdout == ""  # no key was printed
    assert ("reserved" if tenant == "shared" else "is not a slug") in result.stderr
    engine = make_engine(writable_settings.database_url)
    assert tenant not in {owner for _prefix, owner, _read_only, _revoked in list_keys(engine)}
    engine.dispose()
