"""Who is calling: an optional API key for reads and plans, a writable one for writes."""

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from app.services import accounts
from app.services.accounts import Principal

_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <key>`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: <key>`")


def get_principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    header: Annotated[str | None, Security(_header)],
) -> Principal | None:
    presented = bearer.credentials if bearer else header
    settings = request.app.state.settings
    return accounts.authenticate(request.app.state.engine, presented, required=settings.require_api_key)


def get_writer(principal: Annotated[Principal | None, Depends(get_principal)]) -> Principal:
    return accounts.require_writer(principal)


ReaderDep = Annotated[Principal | None, Depends(get_principal)]
WriterDep = Annotated[Principal, Depends(get_writer)]


def tenant_of(principal: Principal | None) -> str | None:
    return principal.tenant if principal else None
