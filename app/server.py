"""The HTTP protocol `ceplan serve` runs: uvicorn's httptools protocol with the limits it lacks.

uvicorn closes a keep-alive connection only after a response, and any byte that arrives cancels that timer, so a
client trickling its headers (or never sending any) holds a connection for ever; httptools reads a header of any
size; and uvicorn's `limit_concurrency` answers 503 only once a request arrives, so silent connections still pile
up. Here, per worker:

- a connection with nothing arriving is closed after CEPLAN_KEEP_ALIVE_SECONDS, from the start as after a response;
- a request line and headers not complete CEPLAN_HEAD_TIMEOUT_SECONDS after the server began waiting for them
  get 408 and the connection is closed; so does a body of which nothing arrives for CEPLAN_BODY_TIMEOUT_SECONDS
  (unless the server itself is not reading: the app busy, or a 100-continue not yet sent);
- a request line and headers larger than CEPLAN_MAX_HEADER_BYTES get 431 and the connection is closed: while they
  arrive (at most one read of the socket past the limit is held) or, when they came in one read, before the app;
- a connection past CEPLAN_MAX_CONNECTIONS gets 503 and is closed as soon as it is accepted;
- on shutdown, a connection with no request in flight gets SHUTDOWN_GRACE_SECONDS for one still in the socket's
  buffer (sent in full just before the signal, not read yet) to be read and answered, instead of a reset.

httptools rather than h11, which limits the head itself: h11 cost 65-80 us more CPU per request than httptools,
this subclass 6-18 us (wrk on GET /healthz and on an empty app; README.md, "Documentation, contract and
operations").
"""

import asyncio
from http import HTTPStatus
from typing import Any

from uvicorn._types import ASGIReceiveCallable, ASGISendCallable, Scope
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from app.config import get_settings
from app.services.problems import problem

PROTOCOL = "app.server:GuardedHttpToolsProtocol"
# Long enough for the event loop to read what the kernel already holds, even on a busy worker; short enough that
# idle keep-alive connections (closed together, not in turn) barely delay the exit.
SHUTDOWN_GRACE_SECONDS = 1.0


class Refusal:
    """A complete problem+json answer that closes the connection, written before (or instead of) the app."""

    def __init__(self, status: HTTPStatus, code: str, detail: str) -> None:
        self.status = status
        self.body = problem(status, code, status.phrase, detail).model_dump_json(exclude_none=True).encode()
        self.headers = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(self.body)).encode()),
            (b"connection", b"close"),
        ]
        head = b"".join(name + b": " + value + b"\r\n" for name, value in self.headers)
        self.raw = f"HTTP/1.1 {status.value} {status.phrase}\r\n".encode() + head + b"\r\n" + self.body

    async def __call__(self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        # As an ASGI app, for a head that is complete: uvicorn writes it in turn and closes after it.
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


HEAD_TOO_SLOW = Refusal(HTTPStatus.REQUEST_TIMEOUT, "request_timeout", "the request line and headers took too long")
BODY_TOO_SLOW = Refusal(HTTPStatus.REQUEST_TIMEOUT, "request_timeout", "the request body stopped arriving")
TOO_LARGE = Refusal(
    HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large", "the request line and headers are too large"
)
TOO_MANY = Refusal(HTTPStatus.SERVICE_UNAVAILABLE, "too_many_connections", "this server has too many connections")


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        settings = get_settings()
        self.head_timeout = settings.head_timeout_seconds
        self.body_timeout = settings.body_timeout_seconds
        self.max_head_bytes = settings.max_header_bytes
        self.max_connections = settings.max_connections
        self.head_deadline: asyncio.TimerHandle | None = None
        self.body_deadline: asyncio.TimerHandle | None = None
        # Between the end of one request's headers and the end of its body, arriving bytes are body, not head.
        self.reading_head = True
        self.head_bytes = 0
        self.draining: asyncio.TimerHandle | None = None  # the close at the end of the shutdown grace

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            self._refuse(TOO_MANY)
            return
        # uvicorn arms the keep-alive timer only after a response: a client that never speaks would stay.
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_deadline()
        self._stop_body_deadline()
        if self.draining is not None:
            self.draining.cancel()
        super().connection_lost(exc)

    def shutdown(self) -> None:
        """uvicorn closes a connection with no request in flight at once: a request the client sent in full just
        before the signal, still unread in the socket's buffer, would be reset. Wait a moment for it instead; it is
        answered and the connection then closes (no keep-alive while shutting down)."""
        idle = self.cycle is None or self.cycle.response_complete
        if not idle or self.head_bytes or self.pipeline:
            super().shutdown()
            return
        self.draining = self.loop.call_later(SHUTDOWN_GRACE_SECONDS, self.transport.close)

    def data_received(self, data: bytes) -> None:
        if self.reading_head:
            self.head_bytes += len(data)
        super().data_received(data)
        if self.transport.is_closing():
            return
        if not self.reading_head:
            self._await_body()  # a body is still to come (a request without one is complete by now: no timer)
        elif self.head_bytes > self.max_head_bytes:
            self._refuse(TOO_LARGE)

    def on_headers_complete(self) -> None:
        self._stop_head_deadline()
        self.reading_head, self.head_bytes = False, 0
        # Exact, unlike the count of bytes read: the read that ended the head may also hold the body.
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size <= self.max_head_bytes:
            super().on_headers_complete()
            self._answer_then_close_if_draining()
            return
        app, self.app = self.app, TOO_LARGE
        try:
            super().on_headers_complete()
        finally:
            self.app = app

    def _answer_then_close_if_draining(self) -> None:
        if self.draining is not None and self.cycle is not None:
            self.draining.cancel()
            self.draining = None
            self.cycle.keep_alive = False

    def on_message_complete(self) -> None:
        self._stop_body_deadline()
        super().on_message_complete()
        self.reading_head = True

    def on_response_complete(self) -> None:
        # With requests queued behind this one (pipelining), their heads are in: nothing to wait for yet.
        idle = not self.pipeline
        super().on_response_complete()
        if idle and not self.transport.is_closing():
            self._await_head()

    def _await_head(self) -> None:
        self._stop_head_deadline()
        self.head_deadline = self.loop.call_later(self.head_timeout, self._head_too_slow)

    def _stop_head_deadline(self) -> None:
        if self.head_deadline is not None:
            self.head_deadline.cancel()
            self.head_deadline = None

    def _head_too_slow(self) -> None:
        self.head_deadline = None
        if self.transport.is_closing():
            return
        if self.head_bytes:
            self._refuse(HEAD_TOO_SLOW)
        else:
            self.transport.close()

    def _await_body(self) -> None:
        self._stop_body_deadline()
        self.body_deadline = self.loop.call_later(self.body_timeout, self._body_too_slow)

    def _stop_body_deadline(self) -> None:
        if self.body_deadline is not None:
            self.body_deadline.cancel()
            self.body_deadline = None

    def _body_too_slow(self) -> None:
        self.body_deadline = None
        if self.transport.is_closing():
            return
        if self.flow.read_paused or (self.cycle is not None and self.cycle.waiting_for_100_continue):
            self._await_body()  # the client is waiting for us, not we for it
            return
        self._refuse(BODY_TOO_SLOW, in_flight=True)

    def _refuse(self, answer: Refusal, *, in_flight: bool = False) -> None:
        """Answer and close. `in_flight`: the answer is for the request the app has (its body was too slow)."""
        self._stop_head_deadline()
        self._stop_body_deadline()
        self._unset_keepalive_if_required()
        # An answer now must not follow or garble the one for this request, nor stand in for an earlier request's
        # (pipelined): then just close. The app cannot answer before the connection is lost: uvicorn then tells
        # it the client left.
        if in_flight:
            answer_now = self.cycle is not None and not self.cycle.response_started
        else:
            answer_now = self.cycle is None or self.cycle.response_complete
        if answer_now:
            self.transport.write(answer.raw)
        self.transport.close()
