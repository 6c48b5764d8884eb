"""Pure ASGI middleware (no per-request task or body copy): security headers, the request-body rules, and the
trailing-slash redirects."""

import secure
from fastapi import FastAPI
from pydantic import HttpUrl
from starlette.datastructures import Headers
from starlette.responses import RedirectResponse, Response
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import TrackedSend, render
from app.services.problems import problem

DOCS_PATHS = ("/docs", "/redoc", "/static-offline-docs")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

# The API answers JSON: nothing in it may run or be framed. The docs pages run their own (inline) scripts.
_API = secure.Secure(
    csp=secure.ContentSecurityPolicy().default_src("'none'").frame_ancestors("'none'"),
    xfo=secure.XFrameOptions().deny(),
    xcto=secure.XContentTypeOptions(),
    referrer=secure.ReferrerPolicy().no_referrer(),
    hsts=secure.StrictTransportSecurity().max_age(31536000),
    coop=secure.CrossOriginOpenerPolicy().same_origin(),
)
_DOCS = secure.Secure(
    csp=secure.ContentSecurityPolicy()
    .default_src("'self'")
    .script_src("'self'", "'unsafe-inline'")
    .style_src("'self'", "'unsafe-inline'")
    .img_src("'self'", "data:")
    .worker_src("'self'", "blob:")
    .frame_ancestors("'none'"),
    xfo=secure.XFrameOptions().deny(),
    xcto=secure.XContentTypeOptions(),
    referrer=secure.ReferrerPolicy().no_referrer(),
    hsts=secure.StrictTransportSecurity().max_age(31536000),
)


def _encoded(policy: secure.Secure) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode(), value.encode()) for name, value in policy.headers.items()]


API_HEADERS, DOCS_HEADERS = _encoded(_API), _encoded(_DOCS)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = DOCS_HEADERS if scope["path"].startswith(DOCS_PATHS) else API_HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _has_body(headers: Headers) -> bool:
    return headers.get("content-length", "0") != "0" or "transfer-encoding" in headers


class _TooLarge(Exception):
    pass


def _too_large(limit: int) -> Response:
    return render(
        problem(
            413,
            "payload_too_large",
            "Request body too large",
            f"the body is larger than the {limit} bytes this server accepts",
        )
    )


class RequestBodyRules:
    """Bodies must be JSON (else 415) and no larger than `max_bytes` (else 413), judged before anything parses
    them: by Content-Length when it is given, and by counting the bytes as they arrive when it is not."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not _has_body(headers):
            await self.app(scope, receive, send)
            return
        if not _is_json(headers.get("content-type", "")):
            body = problem(
                415,
                "unsupported_media_type",
                "Unsupported media type",
                f"send the body as application/json, not '{headers.get('content-type', 'nothing')}'",
            )
            await render(body)(scope, receive, send)
            return
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit():
            if int(declared) > self.max_bytes:
                await _too_large(self.max_bytes)(scope, receive, send)
            else:
                # The server reads no more than the declared length: nothing to count.
                await self.app(scope, receive, send)
            return
        await self._counted(scope, receive, send)

    async def _counted(self, scope: Scope, receive: Receive, send: Send) -> None:
        received = 0
        tracked = TrackedSend(send)

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counting_receive, tracked)
        except _TooLarge:
            if tracked.started:
                raise
            await _too_large(self.max_bytes)(scope, receive, send)


class SlashRedirects:
    """The router's answer for a path no route matches: Starlette's `redirect_slashes` (307 to the same path
    without, or with, its trailing slash, when a route matches that), else the router's 404.

    Starlette builds the Location from the Host header, which is the client's to choose (a link to another host,
    in a cache or a log). Here it is the path alone (relative, RFC 9110 allows it), after CEPLAN_PUBLIC_URL when
    that is set."""

    def __init__(self, router: Router, public_url: HttpUrl | None) -> None:
        self.router = router
        self.not_found = router.default
        self.base = str(public_url).rstrip("/") if public_url else ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        location = self._location(scope) if scope["type"] == "http" else None
        if location is None:
            await self.not_found(scope, receive, send)
            return
        await RedirectResponse(location, status_code=307)(scope, receive, send)

    def _location(self, scope: Scope) -> str | None:
        path: str = scope["path"]
        other = path.rstrip("/") if path.endswith("/") else path + "/"
        # `//host` would be a link to another host: no route starts so, but the Location must never either.
        if not other or other.startswith("//") or not self._routed(other, scope):
            return None
        query = scope["query_string"].decode("latin-1")
        return self.base + other + (f"?{query}" if query else "")

    def _routed(self, path: str, scope: Scope) -> bool:
        toggled = {**scope, "path": path}
        return any(route.matches(toggled)[0] is not Match.NONE for route in self.router.routes)


def install_slash_redirects(app: FastAPI, public_url: HttpUrl | None) -> None:
    app.router.redirect_slashes = False
    app.router.default = SlashRedirects(app.router, public_url)
