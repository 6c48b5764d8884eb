"""The one way a tenant's write runs: one transaction, with an optional Idempotency-Key whose answer is stored in
that same transaction, so a retry of a committed write gets that answer again (never a second resource or a 409).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.db import idempotency as repo
from app.db.accounts import tenant_id
from app.db.engine import session_scope
from app.errors import InvalidInput
from app.schemas.problem import FieldError
from app.services.accounts import Principal

Answer = TypeVar("Answer", bound=BaseModel)
HEADER = "Idempotency-Key"


@dataclass
class IdempotencyKey:
    """The key a client sent with a write, and what identifies the request it was sent with."""

    key: str
    fingerprint: str  # of the method, path and body
    replayed: bool = False  # set when the answer is the stored answer of an earlier request


class _Claimed(Exception):
    """A concurrent request with the same key committed first."""


def write(
    engine: Engine,
    principal: Principal,
    idempotency: IdempotencyKey | None,
    answer_type: type[Answer],
    perform: Callable[[Session, int], Answer],
) -> Answer:
    """Run `perform(session, owner id)` in one transaction and return its answer; with a key, the stored answer of
    the key's first request instead, when there was one."""
    if idempotency is None:
        with session_scope(engine) as session:
            return perform(session, _owner(session, principal))
    try:
        return _write_once(engine, principal, idempotency, answer_type, perform)
    except _Claimed:
        with session_scope(engine) as session:
            return _replay(session, _owner(session, principal), idempotency, answer_type)


def _write_once(
    engine: Engine,
    principal: Principal,
    idempotency: IdempotencyKey,
    answer_type: type[Answer],
    perform: Callable[[Session, int], Answer],
) -> Answer:
    with session_scope(engine) as session:
        owner = _owner(session, principal)
        if repo.find(session, owner, idempotency.key) is not None:
            return _replay(session, owner, idempotency, answer_type)
        try:
            claim = repo.reserve(session, owner, idempotency.key, idempotency.fingerprint)
        except IntegrityError as error:
            raise _Claimed from error
        answer = perform(session, owner)
        repo.answer(session, claim, answer.model_dump_json())
        return answer


def _replay(session: Session, owner: int, idempotency: IdempotencyKey, answer_type: type[Answer]) -> Answer:
    stored = repo.find(session, owner, idempotency.key)
    assert stored is not None  # claimed by a request that committed
    if stored.fingerprint != idempotency.fingerprint:
        raise InvalidInput(
            f"the {HEADER} '{idempotency.key}' was sent with a different request; use a new key for a new request",
            errors=[FieldError(field=f"header.{HEADER}", message="already used for another request")],
            code="idempotency_key_reused",
        )
    idempotency.replayed = True
    return answer_type.model_validate_json(stored.body)


def _owner(session: Session, principal: Principal) -> int:
    owner = tenant_id(session, principal.tenant)
    assert owner is not None  # an authenticated principal's tenant exists
    return owner
