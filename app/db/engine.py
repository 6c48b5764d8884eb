"""Engine construction for the two supported databases."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

# SQLite has one write lock. Under a soak (64 connections, a write in ten requests) writers queued for it up to
# sqlite3's default 5 s and some got "database is locked" (a 503). Twice that lets a queue of writers through,
# while a lock held by another process (a backup, an open shell) still gets a prompt 503.
SQLITE_LOCK_WAIT_SECONDS = 10.0


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        connect = {"check_same_thread": False, "timeout": SQLITE_LOCK_WAIT_SECONDS}
        engine = create_engine(url, connect_args=connect, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless asked, and WAL lets readers work while the seed writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error. Services never commit themselves."""
    with Session(engine) as session:
        if engine.dialect.name == "sqlite":
            # SQLite takes no row locks: take the write lock up front so that a read-then-write (numbering a
            # version) cannot interleave with another writer's. Readers are not blocked (WAL).
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
