"""API keys: issue, revoke, and authenticate a presented key."""

import re

from sqlalchemy import Engine
from sqlmodel import Session

from app.db import accounts
from app.db.accounts import IssuedKey, Principal
from app.db.engine import session_scope
from app.errors import Forbidden, InvalidInput, Unauthorized

__all__ = [
    "IssuedKey",
    "Principal",
    "authenticate",
    "check_tenant_name",
    "create_key",
    "key_prefix",
    "require_writer",
    "revoke_key",
]


# A tenant's name is a slug, as the ids of what it owns are. "shared" is the word anonymous answers use where a
# tenant's name goes (their ETags), so a tenant of that name would share their cached copies.
TENANT_PATTERN = re.compile(r"[a-z][a-z0-9_]{1,63}")
RESERVED_TENANTS = frozenset({"shared"})


def check_tenant_name(name: str) -> None:
    if not TENANT_PATTERN.fullmatch(name):
        raise InvalidInput(
            f"tenant name {name!r} is not a slug: 2-64 lowercase letters, digits or _, starting with a letter",
            code="invalid_tenant",
        )
    if name in RESERVED_TENANTS:
        raise InvalidInput(f"tenant name {name!r} is reserved; choose another", code="invalid_tenant")


def create_key(engine: Engine, tenant: str, *, read_only: bool = False) -> IssuedKey:
    check_tenant_name(tenant)
    with session_scope(engine) as session:
        return accounts.create_key(session, tenant, read_only=read_only)


def revoke_key(engine: Engine, prefix: str) -> bool:
    with session_scope(engine) as session:
        return accounts.revoke_key(session, prefix)


def list_keys(engine: Engine) -> list[tuple[str, str, bool, object]]:
    with Session(engine) as session:
        return list(accounts.list_keys(session))


def authenticate(engine: Engine, presented: str | None, *, required: bool) -> Principal | None:
    """The caller's principal; 401 for a bad key, or for none when keys are required."""
    if presented is None:
        if required:
            raise Unauthorized("send an API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`")
        return None
    with Session(engine) as session:
        principal = accounts.authenticate(session, presented)
    if principal is None:
        raise Unauthorized("the API key is not valid or has been revoked")
    return principal


def key_prefix(presented: str) -> str | None:
    """The public prefix of a well-formed key (whether or not it is valid), None for anything else."""
    match = accounts.KEY_FORMAT.fullmatch(presented)
    return match.group("prefix") if match else None


def require_writer(principal: Principal | None) -> Principal:
    if principal is None:
        raise Unauthorized("writes need an API key: `Authorization: Bearer <key>` or `X-API-Key: <key>`")
    if principal.read_only:
        raise Forbidden("this API key is read-only", code="read_only_key")
    return principal
