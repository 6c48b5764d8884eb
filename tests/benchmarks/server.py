"""Scratch databases for the benchmark (SQLite file, PostgreSQL database), migrated and seeded with `ceplan`.
The server itself is tests.live_server.LiveServer, as in the tests."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

from tests.live_server import PROJECT_ROOT, ceplan_env

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def ceplan(*args: str, url: str) -> None:
    """Run the `ceplan` command (python -m app.cli) on a database; fail loudly with its output."""
    env = ceplan_env(url)
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False
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
