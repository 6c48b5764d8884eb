"""Shared fixtures: one migrated and seeded database per test session, and a client on it."""

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Settings are read at import time by app.main: make sure a developer's .env cannot leak into tests.
os.environ.setdefault("CEPLAN_AUTO_MIGRATE", "false")

from fastapi.testclient import TestClient

from app.config import Settings
from app.domain.catalogue import Catalogue
from app.main import create_app
from app.services.setup import prepare_database
from tests.databases import scratch_database

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SEED_DIR = PROJECT_ROOT / "seed"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head and seeded from seed/, shared by the read-only tests."""
    with scratch_database(tmp_path_factory.mktemp("db")) as url:
        prepare_database(url, SEED_DIR)
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, auto_migrate=False, seed_dir=str(SEED_DIR))


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def catalogue(client: TestClient) -> Catalogue:
    """The seeded catalogue snapshot, as the running app holds it."""
    snapshot: Catalogue = client.app.state.catalogue_store.get()  # type: ignore[attr-defined]
    return snapshot


@pytest.fixture(scope="module")
def writable_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A database of the module's own, for tests that write (tenants, keys, templates)."""
    with scratch_database(tmp_path_factory.mktemp("writable")) as url:
        prepare_database(url, SEED_DIR)
        yield Settings(database_url=url, auto_migrate=False, seed_dir=str(SEED_DIR))


@pytest.fixture(scope="module")
def writable_client(writable_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(writable_settings)) as test_client:
        yield test_client


def status_within(send: Callable[[], Any], status: int, seconds: float) -> int:
    """Repeat a request until it answers `status` or `seconds` pass; the last status it answered."""
    deadline = time.monotonic() + seconds
    while True:
        answered: int = send().status_code
        if answered == status or time.monotonic() > deadline:
            return answered
        time.sleep(0.05)
