"""What one client may hold of the real server (`ceplan serve`), checked with raw sockets: slow, silent, oversized
and too many connections are cut, and nothing a client sends makes the server log a WARNING."""

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live_server import LiveServer

HEAD_TIMEOUT, BODY_TIMEOUT, KEEP_ALIVE, MAX_CONNECTIONS, MAX_HEADER_BYTES = 1, 1, 1, 4, 4096
REQUEST = b"GET /healthz HTTP/1.1\r\nHost: ceplan\r\n\r\n"
UPGRADE = (
    b"GET /chat HTTP/1.1\r\nHost: ceplan\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
    b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
)


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    log = tmp_path_factory.mktemp("limits") / "server.log"
    with LiveServer(
        database_url,
        log,
        head_timeout_seconds=str(HEAD_TIMEOUT),
        body_timeout_seconds=str(BODY_TIMEOUT),
        keep_alive_seconds=str(KEEP_ALIVE),
        max_connections=str(MAX_CONNECTIONS),
        max_header_bytes=str(MAX_HEADER_BYTES),
        log_level="DEBUG",
    ) as live:
        yield live


def connect(server: LiveServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (a reset after its answer counts as closed)."""
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk


def read_answer(sock: socket.socket) -> bytes:
    """One whole answer (head and Content-Length body) on a connection that stays open."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return received


def status_and_problem(answer: bytes) -> tuple[int, dict[str, str]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"content-type: application/problem+json" in head.lower(), answer[:300]
    assert b"connection: close" in head.lower()
    return int(head.split()[1]), json.loads(body)


def send_slowly(sock: socket.socket, data: bytes, pause: float, piece: int = 1) -> None:
    """Send `data` a piece at a time; stop when the server has closed the connection."""
    for start in range(0, len(data), piece):
        try:
            sock.sendall(data[start : start + piece])
        except (BrokenPipeError, ConnectionResetError):
            return
        time.sleep(pause)


def test_headers_trickled_in_are_cut_after_the_head_timeout(server: LiveServer) -> None:
    with closing(connect(server)) as sock:
        started = time.monotonic()
        # 60 bytes at 0.1 s each would take 6 s; every byte arrives well within any idle timeout.
        send_slowly(sock, b"GET /healthz HTTP/1.1\r\nHost: ceplan\r\nX-Slow: " + b"a" * 20, pause=0.1)
        answer = read_until_closed(sock)
        elapsed = time.monotonic() - started
    status, body = status_and_problem(answer)
    assert status == 408 and body["code"] == "request_timeout"
    assert body["detail"] == "the request line and headers took too long"  # this timer, not another 408
    assert HEAD_TIMEOUT - 0.1 <= elapsed < HEAD_TIMEOUT + 2


def plan_request_head(length: int) -> bytes:
    return (
        b"POST /v1/plans HTTP/1.1\r\nHost: ceplan\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {length}\r\n\r\n".encode()
    )


def test_a_body_that_stops_arriving_gets_408(server: LiveServer) -> None:
    with closing(connect(server)) as sock:
        sock.sendall(plan_request_head(100) + b'{"assessments": ')
        started = time.monotonic()
        answer = read_until_closed(sock)
        elapsed = time.monotonic() - started
    status, body = status_and_problem(answer)
    assert status == 408 and body["code"] == "request_timeout"
    assert body["detail"] == "the request body stopped arriving"  # this timer, not another 408
    assert BODY_TIMEOUT - 0.1 <= elapsed < BODY_TIMEOUT + 2


def test_a_body_that_keeps_arriving_is_read_however_long_it_takes(server: LiveServer) -> None:
    squat = {"type": "overhead_squat", "findings": [{"compensation": "knees_move_inward", "side": "bilateral"}]}
    body = json.dumps({"assessments": [squat]}).encode()
    with closing(connect(server)) as sock:
        sock.sendall(plan_request_head(len(body)))
        started = time.monotonic()
        send_slowly(sock, body, pause=BODY_TIMEOUT / 2, piece=len(body) // 4)
        answer = read_answer(sock)
    assert time.monotonic() - started > BODY_TIMEOUT  # longer than the timeout in all, never idle that long
    assert answer.startswith(b"HTTP/1.1 200")


def test_an_idle_keep_alive_connection_is_closed(server: LiveServer) -> None:
    with closing(connect(server)) as sock:
        sock.sendall(REQUEST)
        first = read_answer(sock)
        assert first.startswith(b"HTTP/1.1 200") and b"connection: close" not in first.lower()
        idle_since = time.monotonic()
        assert read_until_closed(sock) == b""
        assert KEEP_ALIVE - 0.1 <= time.monotonic() - idle_since < KEEP_ALIVE + 2


def test_a_connection_that_never_speaks_is_closed(server: LiveServer) -> None:
    with closing(connect(server)) as sock:
        started = time.monotonic()
        assert read_until_closed(sock) == b""
        assert KEEP_ALIVE - 0.1 <= time.monotonic() - started < KEEP_ALIVE + 2  # closed by the timer, not at once


def test_headers_over_the_limit_arriving_in_pieces_get_431(server: LiveServer) -> None:
    """The server stops reading long before a 1 MB header (a 50 MB one was read and hashed) is in."""
    head = b"GET /v1/muscles HTTP/1.1\r\nHost: ceplan\r\nX-API-Key: " + b"k" * 1_000_000
    with closing(connect(server)) as sock:
        send_slowly(sock, head, pause=0.002, piece=1024)
        status, body = status_and_problem(read_until_closed(sock))
    assert status == 431 and body["code"] == "headers_too_large"


def test_headers_over_the_limit_arriving_at_once_get_431_before_the_app(server: LiveServer) -> None:
    head = b"GET /v1/muscles HTTP/1.1\r\nHost: ceplan\r\nX-API-Key: " + b"k" * MAX_HEADER_BYTES + b"\r\n\r\n"
    with closing(connect(server)) as sock:
        sock.sendall(head)
        answer = read_until_closed(sock)
    status, body = status_and_problem(answer)
    assert status == 431 and body["code"] == "headers_too_large"
    assert b"x-request-id" not in answer.lower()  # the app (which adds one to every answer) never saw it


def test_headers_within_the_limit_are_served(server: LiveServer) -> None:
    answer = httpx.get(f"{server.base_url}/healthz", headers={"X-Padding": "p" * (MAX_HEADER_BYTES - 200)})
    assert answer.status_code == 200


def test_connections_past_the_cap_are_refused(server: LiveServer) -> None:
    with ExitStack() as stack:
        held = [stack.enter_context(closing(connect(server))) for _ in range(MAX_CONNECTIONS)]
        for sock in held:  # each is served: they are open and counted
            sock.sendall(REQUEST)
            assert read_answer(sock).startswith(b"HTTP/1.1 200")
        with closing(connect(server)) as extra:
            status, body = status_and_problem(read_until_closed(extra))
        assert status == 503 and body["code"] == "too_many_connections"
    time.sleep(0.2)  # the server sees the held ones close
    assert httpx.get(f"{server.base_url}/healthz").status_code == 200


def test_what_any_client_can_send_logs_no_warning(server: LiveServer) -> None:
    requests = 20
    with httpx.Client(base_url=server.base_url) as client:
        for number in range(requests):
            answer = client.get("/v1/muscles", headers={"X-Request-ID": f"not a valid id {number}!"})
            assert answer.status_code == 200 and answer.headers["X-Request-ID"] != f"not a valid id {number}!"
            malformed = client.post(
                "/v1/plans", content=b'{"assessments": [', headers={"Content-Type": "application/json"}
            )
            assert malformed.status_code == 422 and malformed.json()["code"] == "validation_error"
    for _ in range(requests):
        with closing(connect(server)) as sock:
            sock.sendall(b"\x16\x03\x01 this is not HTTP\r\n\r\n")
            assert read_until_closed(sock).startswith(b"HTTP/1.1 400")
    with closing(connect(server)) as sock:
        sock.sendall(UPGRADE)
        assert read_answer(sock).startswith(b"HTTP/1.1 404")  # no WebSocket route: a plain request
    # Logged, at DEBUG (this server logs DEBUG): wait for every line, then look for warnings.
    wait_for_lines(server, "failed validation", requests)
    wait_for_lines(server, "Invalid HTTP request received.", requests)
    output = wait_for_lines(server, "Unsupported upgrade request.", 1)
    assert '"level": "WARNING"' not in output
    assert "WebSocket /" not in output


def wait_for_lines(server: LiveServer, text: str, count: int, seconds: float = 5) -> str:
    deadline = time.monotonic() + seconds
    output = server.output()
    while output.count(text) < count and time.monotonic() < deadline:
        time.sleep(0.05)
        output = server.output()
    assert output.count(text) == count, output[-2000:]
    return output


def test_logs_are_on_stdout() -> None:
    script = "import logging; from app.logs import configure_logging; configure_logging('INFO'); " + (
        "logging.getLogger('ceplan').warning('to stdout')"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=True)
    assert json.loads(done.stdout)["message"] == "to stdout" and done.stderr == ""


def test_the_default_head_limit_lets_the_longest_valid_request_through() -> None:
    """Every query parameter of the exercise search at its documented maximum, in the widest characters
    (four UTF-8 bytes, each percent-encoded), still fits the default head limit with room for headers."""
    from urllib.parse import urlencode

    from app.config import Settings
    from app.main import create_app

    spec = create_app(Settings()).openapi()
    parameters = {p["name"]: p["schema"] for p in spec["paths"]["/v1/exercises"]["get"]["parameters"]}
    widest = "\U0010ffff"

    def longest(schema: dict[str, Any]) -> str:
        text = next(s for s in schema.get("anyOf", [schema]) if s.get("type") in ("string", "array"))
        if text["type"] == "array":
            return widest * int(text["items"]["maxLength"])
        return widest * int(text["maxLength"])

    equipment = parameters["equipment"]["anyOf"][0]
    query = urlencode(
        [
            *[("equipment", longest(equipment))] * int(equipment["maxItems"]),
            ("muscle", longest(parameters["muscle"])),
            ("q", longest(parameters["q"])),
            ("phase", "integrate"),
            ("level", "3"),
            ("limit", "200"),
            ("offset", "1000000"),
        ]
    )
    request_line = f"GET /v1/exercises?{query} HTTP/1.1\r\n"
    assert len(request_line.encode()) + 4096 < Settings().max_header_bytes


def test_a_request_on_an_idle_connection_as_the_server_shuts_down_is_answered(
    database_url: str, tmp_path: Path
) -> None:
    """uvicorn closed every idle keep-alive connection the moment it began to shut down, so a request sent just
    before the signal, still unread in the socket's buffer, was reset (a batch in CI). Now the connection has a
    moment's grace: the request is answered, with Connection: close, and the server then exits."""
    with LiveServer(database_url, tmp_path / "server.log") as live:
        sock = connect(live)
        sock.sendall(REQUEST)
        assert b" 200 " in read_answer(sock).split(b"\r\n")[0]  # the connection is now idle, kept alive
        live.signal(signal.SIGTERM)
        time.sleep(0.3)  # the shutdown has begun (uvicorn looks for the signal every 0.1 s)
        sock.sendall(REQUEST)
        answer = read_until_closed(sock)
        sock.close()
        assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
        assert b"connection: close" in answer.lower()
        # uvicorn re-raises the SIGTERM it caught once it has shut down cleanly: -15 is a graceful stop.
        assert live.wait(timeout=10) in (0, -signal.SIGTERM)
