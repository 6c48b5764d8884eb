"""Test databases: a temporary SQLite file by default, PostgreSQL when CEPLAN_TEST_DATABASE_URL is set."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_URL = os.environ.get("CEPLAN_TEST_DATABASE_URL")
# For the long property tests that plan on the in-memory snapshot: what they check does not depend on the database
# the snapshot was read from (loading it from PostgreSQL is tested elsewhere), so CI runs them once, in its SQLite
# pass, as it does the fault tests.
SNAPSHOT_ONLY = pytest.mark.skipif(
    POSTGRES_URL is not None,
    reason="plans on the in-memory snapshot, whatever the database: it ran in the SQLite pass",
)


def backend() -> str:
    return "postgresql" if POSTGRES_URL else "sqlite"


@contextmanager
def scratch_database(tmp_dir: Path) -> Iterator[str]:
    """A new, empty database for one test or session, dropped afterwards."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_dir / f'ceplan-{uuid.uuid4().hex[:8]}.db'}"
        return
    base = make_url(POSTGRES_URL)
    name = f"{base.database}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
