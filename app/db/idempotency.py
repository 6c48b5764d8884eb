"""Stored answers of writes sent with an Idempotency-Key: the SQL."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.db import tables as t

# How long a key is remembered: a client retries within seconds or minutes, as payment APIs expect (Stripe: 24 h).
KEPT_FOR = timedelta(hours=24)


def find(session: Session, owner_id: int, key: str) -> t.IdempotentWrite | None:
    """The key's stored answer, unless it is older than KEPT_FOR (then the key is new again)."""
    fresh = col(t.IdempotentWrite.created_at) >= datetime.now(UTC) - KEPT_FOR
    query = select(t.IdempotentWrite).where(
        t.IdempotentWrite.tenant_id == owner_id, t.IdempotentWrite.key == key, fresh
    )
    return session.exec(query).first()


def reserve(session: Session, owner_id: int, key: str, fingerprint: str) -> t.IdempotentWrite:
    """Claim the key before the write: a concurrent request with the same key then waits on the unique index
    (PostgreSQL) or the write lock (SQLite) and, once this one commits, finds its answer. Raises IntegrityError
    when a concurrent request claimed it first. Keys older than KEPT_FOR are forgotten on the way."""
    now = datetime.now(UTC)
    old = col(t.IdempotentWrite.created_at) < now - KEPT_FOR
    session.exec(delete(t.IdempotentWrite).where(col(t.IdempotentWrite.tenant_id) == owner_id, old))
    row = t.IdempotentWrite(tenant_id=owner_id, key=key, fingerprint=fingerprint, body="", created_at=now)
    session.add(row)
    session.flush()
    return row


def answer(session: Session, row: t.IdempotentWrite, body: str) -> None:
    row.body = body
    session.add(row)
    session.flush()
