"""Tenants and their API keys. Keys are stored as a public prefix and a SHA-256 hash of the secret only."""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.db import tables as t

KEY_PREFIX = "cep"
KEY_FORMAT = re.compile(r"cep_(?P<prefix>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{20,100})")
# Compared against when the prefix is unknown, so a miss costs the same time as a wrong secret.
_DUMMY_HASH = hashlib.sha256(b"ceplan-no-such-key").hexdigest()


@dataclass(frozen=True)
class Principal:
    tenant: str
    read_only: bool


@dataclass(frozen=True)
class IssuedKey:
    key: str
    prefix: str
    tenant: str
    read_only: bool


def tenant_id(session: Session, slug: str) -> int | None:
    return session.exec(select(t.Tenant.id).where(t.Tenant.slug == slug)).first()


def lock_tenant(session: Session, owner_id: int) -> None:
    """Hold the tenant's row until commit: a count against a quota then cannot race another create (PostgreSQL;
    SQLite's writers already take turns). FOR NO KEY UPDATE, the lock the revision bump takes anyway: FOR UPDATE
    would also wait on the KEY SHARE locks that inserting a row referring to the tenant takes, and two writers of
    one tenant would deadlock (the soak on PostgreSQL: writes 17 s at the median, 5xx)."""
    query = select(t.Tenant.id).where(t.Tenant.id == owner_id).with_for_update(key_share=True)
    session.exec(query).first()


def bump_tenant_revision(session: Session, owner_id: int) -> None:
    """Count one more change of the tenant's own templates or exercises: snapshots re-read that tenant's part
    alone. An atomic UPDATE, so concurrent writers never lose an increment."""
    session.exec(update(t.Tenant).where(col(t.Tenant.id) == owner_id).values(revision=t.Tenant.revision + 1))
    session.flush()


def _hash(secret: str) -> str:
    # The secret is 256 random bits: a fast hash is enough, a slow KDF would only cost latency.
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(session: Session, tenant_slug: str, *, read_only: bool = False) -> IssuedKey:
    tenant = session.exec(select(t.Tenant).where(t.Tenant.slug == tenant_slug)).first()
    if tenant is None:
        tenant = t.Tenant(slug=tenant_slug, created_at=datetime.now(UTC))
        session.add(tenant)
        session.flush()
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    session.add(
        t.ApiKey(
            tenant_id=tenant.id or 0,
            prefix=prefix,
            secret_hash=_hash(secret),
            read_only=read_only,
            created_at=datetime.now(UTC),
        )
    )
    session.flush()
    return IssuedKey(f"{KEY_PREFIX}_{prefix}_{secret}", prefix, tenant_slug, read_only)


def revoke_key(session: Session, prefix: str) -> bool:
    key = session.exec(select(t.ApiKey).where(t.ApiKey.prefix == prefix, t.ApiKey.revoked_at.is_(None))).first()  # type: ignore[union-attr]
    if key is None:
        return False
    key.revoked_at = datetime.now(UTC)
    session.flush()
    return True


def list_keys(session: Session) -> list[tuple[str, str, bool, datetime | None]]:
    rows = session.exec(select(t.ApiKey, t.Tenant).join(t.Tenant).order_by(t.Tenant.slug, t.ApiKey.prefix)).all()
    return [(key.prefix, tenant.slug, key.read_only, key.revoked_at) for key, tenant in rows]


def authenticate(session: Session, presented: str) -> Principal | None:
    """The principal of a presented key, or None when it is malformed, unknown, wrong or revoked."""
    match = KEY_FORMAT.fullmatch(presented)
    if match is None:
        # Malformed keys never reach the database (nor its limits on odd bytes), yet cost the same time.
        hmac.compare_digest(_DUMMY_HASH, _hash(presented))
        return None
    prefix, secret = match.group("prefix"), match.group("secret")
    row = session.exec(select(t.ApiKey, t.Tenant).join(t.Tenant).where(t.ApiKey.prefix == prefix)).first()
    stored = row[0].secret_hash if row else _DUMMY_HASH
    matches = hmac.compare_digest(stored, _hash(secret))
    if row is None or not matches or row[0].revoked_at is not None:
        return None
    return Principal(row[1].slug, row[0].read_only)
