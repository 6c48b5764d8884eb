"""Engine construction for the two supported databases."""

import threading
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


# One per SQLite file: this process's writers queue here, woken in turn, rather than in SQLite's busy handler, which
# polls with growing sleeps and lets late writers overtake: under a soak (64 connections, one worker at a full core)
# one writer in some thousands waited past SQLITE_LOCK_WAIT_SECONDS and got a 503 while the lock was free often.
_SQLITE_WRITERS: dict[str, threading.RLock] = {}
_SQLITE_WRITERS_LOCK = threading.Lock()


def _sqlite_writers(engine: Engine) -> threading.RLock:
    with _SQLITE_WRITERS_LOCK:
        return _SQLITE_WRITERS.setdefault(str(engine.url), threading.RLock())


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error. Services never commit themselves."""
    if engine.dialect.name != "sqlite":
        with Session(engine) as session:
            yield from _unit_of_work(session)
        return
    with _sqlite_writers(engine), Session(engine) as session:
        # SQLite takes no row locks: take the write lock up front so that a read-then-write (numbering a version)
        # cannot interleave with another writer's. Readers are not blocked (WAL); other processes' writers wait
        # in SQLite's busy handler, up to SQLITE_LOCK_WAIT_SECONDS.
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        yield from _unit_of_work(session)


def _unit_of_work(session: Session) -> Iterator[Session]:
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
