"""Every error answer is an RFC 9457 problem+json body with a stable `code`.

Exceptions carry their status; these handlers render them, FastAPI's validation errors and the router's own
404/405s alike. Unexpected exceptions become a 500 without internals, logged with their traceback.
"""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.domain.errors import DomainError
from app.errors import CeplanError
from app.schemas.problem import FieldError, Problem
from app.services.problems import domain_problem, field_path, problem, validation_problem

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("ceplan")
_HTTP_CODES = {
    400: ("invalid_body", "The body could not be parsed"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    413: ("payload_too_large", "Request body too large"),
}
RETRY_AFTER_SECONDS = 5


def render(body: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=body.status, media_type=PROBLEM_JSON, headers=headers
    )


async def _ceplan_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CeplanError)
    body = problem(exc.status_code, exc.code, exc.title, exc.detail, errors=exc.errors, allowed=exc.allowed)
    return render(body, headers=exc.response_headers)


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return render(domain_problem(exc))


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return render(validation_problem([FieldError(field=field_path(e["loc"]), message=e["msg"]) for e in exc.errors()]))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, title = _HTTP_CODES.get(exc.status_code, ("http_error", "HTTP error"))
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Starlette names only the methods of the first route that matched the path; list every one.
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return render(problem(exc.status_code, code, title, str(exc.detail)), headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    methods: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, APIRoute) and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods or set()
    return sorted(methods)


async def _too_deep(_request: Request, _exc: Exception) -> JSONResponse:
    return render(problem(422, "json_too_deep", "The request is not valid", "the JSON body is nested too deeply"))


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # Reads and plans are served from memory; only what needs the database right now ends up here.
    logger.warning("database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    body = problem(
        503,
        "database_unavailable",
        "Temporarily unavailable",
        "the database cannot be reached; plans and catalogue reads still work, try writes again shortly",
    )
    return render(body, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


async def _unstorable(request: Request, exc: Exception) -> JSONResponse:
    # A value the database cannot hold (a NUL byte, a number out of range) that validation let through.
    logger.warning("value rejected by the database on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return render(problem(422, "invalid_value", "The request is not valid", "a value in the request cannot be stored"))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(CeplanError, _ceplan_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RecursionError, _too_deep)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(InterfaceError, _database_unavailable)
    app.add_exception_handler(DataError, _unstorable)
    app.add_exception_handler(OverflowError, _unstorable)


class TrackedSend:
    """An ASGI `send` that remembers whether the answer has started: after that, an error cannot replace it."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        self.started = self.started or message["type"] == "http.response.start"
        await self.send(message)


class UnexpectedErrors:
    """Innermost middleware: an unhandled exception becomes a 500 problem without internals, logged with the
    request id, while the outer middleware (request id, security headers) still wraps the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tracked = TrackedSend(send)
        try:
            await self.app(scope, receive, tracked)
        except Exception:
            logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if tracked.started:
                raise
            body = problem(
                500,
                "internal_error",
                "Internal server error",
                "The server failed to answer this request. It has been logged.",
            )
            await render(body)(scope, receive, send)
