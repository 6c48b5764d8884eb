"""Every error answer is an RFC 9457 problem+json body with a stable `code`.

Exceptions carry their status; one set of handlers renders them, FastAPI's validation errors and the
router's own 404/405s alike.
"""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.domain.errors import DomainError
from app.errors import CeplanError
from app.schemas.problem import FieldError, Problem

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("ceplan")


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    errors: list[FieldError] | None = None,
    allowed: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    problem = Problem(
        type=f"urn:ceplan:problem:{code}",
        title=title,
        status=status,
        detail=detail,
        code=code,
        errors=errors,
        allowed=allowed,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def _field_path(location: tuple[Any, ...]) -> str:
    parts = [str(p) for p in location]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] if parts[0] == "body" else parts
    return ".".join(parts) or "body"


async def _ceplan_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CeplanError)
    return problem_response(exc.status_code, exc.code, exc.title, exc.detail, errors=exc.errors, allowed=exc.allowed)


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    errors = [FieldError(field=exc.field, message=str(exc))] if exc.field else None
    return problem_response(
        422,
        exc.code,
        exc.title,
        str(exc),
        errors=errors,
        allowed=sorted(exc.allowed) if exc.allowed is not None else None,
    )


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [FieldError(field=_field_path(tuple(e["loc"])), message=e["msg"]) for e in exc.errors()]
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
    return problem_response(422, "validation_error", "The request is not valid", detail, errors=errors)


_HTTP_CODES = {404: ("not_found", "Not found"), 405: ("method_not_allowed", "Method not allowed")}


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, title = _HTTP_CODES.get(exc.status_code, ("http_error", "HTTP error"))
    return problem_response(exc.status_code, code, title, str(exc.detail), headers=dict(exc.headers or {}))


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # Log the traceback for operators; never send internals to the client.
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        500,
        "internal_error",
        "Internal server error",
        "The server failed to answer this request. It has been logged.",
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CeplanError, _ceplan_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
