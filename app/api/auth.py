"""Who is calling: an optional API key for reads and plans, a writable one for writes."""

import hashlib
from typing import Annotated

from cachetools import TTLCache
from fastapi import Depends, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from app.api.ratelimit import AuthFailureLimiter
from app.errors import TooManyRequests, Unauthorized
from app.services import accounts
from app.services.accounts import Principal

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <key>`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: <key>`")


# The two ways to present a key; dependencies that need the caller declare both (documented as security schemes).
BearerKey = Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
HeaderKey = Annotated[str | None, Security(_header)]


async def get_principal(request: Request, bearer: BearerKey, header: HeaderKey) -> Principal | None:
    presented = bearer.credentials if bearer else header
    settings = request.app.state.settings
    if presented is None:
        # No key, no database work: the common case of open reads and plans stays on the event loop.
        return accounts.authenticate(request.app.state.engine, None, required=settings.require_api_key)
    known: KnownKeys = request.app.state.known_keys
    principal = known.get(presented)
    if principal is not None:
        return principal
    limiter: AuthFailureLimiter = request.app.state.auth_limiter
    client = request.client.host if request.client else "unknown"
    wait = limiter.retry_after(client)
    if wait is not None:
        raise TooManyRequests(
            f"too many failed API-key attempts; try again in {wait} s", headers={"Retry-After": str(wait)}
        )
    try:
        principal = await run_in_threadpool(accounts.authenticate, request.app.state.engine, presented, required=True)
    except Unauthorized:
        limiter.failed(client)
        raise
    assert principal is not None  # required=True: a key that is not valid raised
    known.remember(presented, principal)
    return principal


class KnownKeys:
    """Keys that authenticated within the last `seconds`, by a hash of the key (never the key itself).

    A gym system sends its key with every request; asking the database each time cost a worker thread and a
    query per plan. A revoked key keeps working here for at most `seconds` (the default, one second, is also
    how long a catalogue change takes to reach every worker). Only successes are remembered: a wrong key always
    reaches the database and the failure limiter."""

    def __init__(self, seconds: float, size: int = 4096) -> None:
        self._principals: TTLCache[str, Principal] = TTLCache(maxsize=size, ttl=seconds)

    @staticmethod
    def _digest(presented: str) -> str:
        return hashlib.sha256(presented.encode()).hexdigest()

    def get(self, presented: str) -> Principal | None:
        return self._principals.get(self._digest(presented))

    def remember(self, presented: str, principal: Principal) -> None:
        self._principals[self._digest(presented)] = principal


async def caller_principal(request: Request) -> Principal | None:
    """get_principal for the hot paths (plans, catalogue reads), which read the key themselves rather than
    through two security dependencies: each dependency FastAPI resolves costs every request several
    microseconds. Same parsing (the same scheme objects), same answers; app.main documents the schemes."""
    return await get_principal(request, await _bearer(request), await _header(request))


def get_writer(principal: Annotated[Principal | None, Depends(get_principal)]) -> Principal:
    return accounts.require_writer(principal)


ReaderDep = Annotated[Principal | None, Depends(get_principal)]
WriterDep = Annotated[Principal, Depends(get_writer)]
