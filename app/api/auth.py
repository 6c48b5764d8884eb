"""Who is calling: an optional API key for reads and plans, a writable one for writes."""

import hashlib
from typing import TYPE_CHECKING, Annotated

from cachetools import TTLCache
from fastapi import Depends, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from app.errors import AmbiguousCredentials, CeplanError, TooManyRequests, Unauthorized
from app.services import accounts
from app.services.accounts import Principal

if TYPE_CHECKING:  # app.api.ratelimit reads the caller's key and address from here
    from app.api.ratelimit import AuthFailureLimiter

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <key>`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: <key>`")


# The two ways to present a key; dependencies that need the caller declare both (documented as security schemes).
BearerKey = Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
HeaderKey = Annotated[str | None, Security(_header)]


def presented_key(request: Request) -> str | None:
    """The one API key the request presents (`Authorization: Bearer` or `X-API-Key`), None for none; 400 when
    it presents more than one. Picking one would be a guess at what the client meant, and would let whoever adds
    a header on the way (a proxy, a browser extension) silently change who the caller is."""
    headers = request.headers
    authorization, api_key = headers.getlist("authorization"), headers.getlist("x-api-key")
    if len(authorization) > 1 or len(api_key) > 1:
        repeated = [
            name for name, values in (("Authorization", authorization), ("X-API-Key", api_key)) if len(values) > 1
        ]
        raise AmbiguousCredentials(f"send one API key in one header: {' and '.join(repeated)} came more than once")
    scheme, bearer = get_authorization_scheme_param(authorization[0] if authorization else None)
    bearer_key = bearer if bearer and scheme.lower() == "bearer" else None
    header_key = api_key[0] if api_key and api_key[0] else None  # empty counts as absent, as with APIKeyHeader
    if bearer_key is not None and header_key is not None:
        raise AmbiguousCredentials("send one API key in one header: both Authorization: Bearer and X-API-Key came")
    return bearer_key or header_key


def client_address(request: Request) -> str:
    # The peer, or the address a trusted proxy forwarded (uvicorn applies CEPLAN_TRUSTED_PROXIES before us).
    return request.client.host if request.client else "unknown"


async def caller_principal(request: Request) -> Principal | None:
    """The caller's principal, for the hot paths (plans, catalogue reads), which read the key themselves rather
    than through two security dependencies: each dependency FastAPI resolves costs every request several
    microseconds. app.main documents the schemes."""
    presented = presented_key(request)
    if presented is None:
        # No key, no database work: the common case of open reads and plans stays on the event loop.
        settings = request.app.state.settings
        return accounts.authenticate(request.app.state.engine, None, required=settings.require_api_key)
    known: KnownKeys = request.app.state.known_keys
    principal = known.get(presented)
    if principal is not None:
        return principal
    try:
        principal = await run_in_threadpool(accounts.authenticate, request.app.state.engine, presented, required=True)
    except Unauthorized as refused:
        raise await _counted(request, presented, refused) from None
    assert principal is not None  # required=True: a key that is not valid raised
    known.remember(presented, principal)
    return principal


async def _counted(request: Request, presented: str, refused: Unauthorized) -> CeplanError:
    """The answer to a key that failed: counted per address and per key prefix; 429 past either limit, else the
    401 with what is left. Checked only after the key failed, so no failure elsewhere blocks a key that works."""
    limiter: AuthFailureLimiter = request.app.state.auth_limiter
    outcome = await limiter.failed(client_address(request), accounts.key_prefix(presented))
    if outcome.refused:
        headers = outcome.headers
        detail = (
            f"too many failed API-key attempts ({', '.join(outcome.violated)}); try again in {headers['Retry-After']} s"
        )
        return TooManyRequests(detail, headers=headers)
    return Unauthorized(refused.detail, headers=outcome.headers)


async def get_principal(request: Request, _by_bearer: BearerKey, _by_header: HeaderKey) -> Principal | None:
    """caller_principal as a dependency. The two parameters only document the security schemes: caller_principal
    reads both headers itself, to refuse a request that sends more than one key."""
    return await caller_principal(request)


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


def get_writer(principal: Annotated[Principal | None, Depends(get_principal)]) -> Principal:
    return accounts.require_writer(principal)


ReaderDep = Annotated[Principal | None, Depends(get_principal)]
WriterDep = Annotated[Principal, Depends(get_writer)]
