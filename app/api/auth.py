"""Who is calling: an optional API key for reads and plans, a writable one for writes."""

from typing import Annotated

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
    limiter: AuthFailureLimiter = request.app.state.auth_limiter
    client = request.client.host if request.client else "unknown"
    wait = limiter.retry_after(client)
    if wait is not None:
        raise TooManyRequests(
            f"too many failed API-key attempts; try again in {wait} s", headers={"Retry-After": str(wait)}
        )
    try:
        return await run_in_threadpool(accounts.authenticate, request.app.state.engine, presented, required=True)
    except Unauthorized:
        limiter.failed(client)
        raise


def get_writer(principal: Annotated[Principal | None, Depends(get_principal)]) -> Principal:
    return accounts.require_writer(principal)


ReaderDep = Annotated[Principal | None, Depends(get_principal)]
WriterDep = Annotated[Principal, Depends(get_writer)]
