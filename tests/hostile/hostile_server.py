"""A small hostile server for the hostile-input suite: a real ASGI app, served over a
loopback socket with `serve_asgi`, that answers every HTTP request with the case under
test and every WebSocket with a scripted sender, and counts what it managed to send.

The counters are how the tests see what the client did: `requests` (did it retry, did it
follow a redirect), `frames_sent` (how far a flood got before the client stopped reading).
`CountingTransport` is httpx's own transport with a byte counter: what the client read.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from leadsync_tui.http_server import serve_asgi

MB = 1024 * 1024
Answer = Callable[["Hostile", Request], Response]
WsScript = Callable[["Hostile", ServerConnection], Awaitable[None]]


@dataclass
class Hostile:
    """Answers HTTP with `answer` and WebSockets with `websocket`; counts what it sent.

    The WebSocket side runs on the `websockets` library's own server rather than
    uvicorn: its `send` waits while the socket is full, so `frames_sent` shows how far
    a flood got before the client stopped reading (uvicorn's would buffer it all)."""

    answer: Answer | None = None
    websocket: WsScript | None = None
    requests: int = 0
    paths: list[str] = field(default_factory=list)
    sent_bytes: int = 0
    frames_sent: int = 0
    ws_connections: int = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.requests += 1
            self.paths.append(scope["path"])
            request = Request(scope, receive)
            await request.body()
            assert self.answer is not None, "no HTTP answer scripted"
            await self.answer(self, request)(scope, receive, send)


@asynccontextmanager
async def hostile(
    answer: Answer | None = None, websocket: WsScript | None = None
) -> AsyncIterator[tuple[Hostile, str]]:
    """The hostile server on free loopback ports, and its base URL (HTTP, or the
    WebSocket server's when `websocket` is given)."""
    server = Hostile(answer, websocket)
    if websocket is None:
        async with serve_asgi(server, shutdown_timeout_s=2) as base_url:
            yield server, base_url
        return

    async def handler(connection: ServerConnection) -> None:
        server.ws_connections += 1
        # The client hanging up mid-flood is the point, not an error.
        with contextlib.suppress(ConnectionClosed):
            await websocket(server, connection)

    async with serve(handler, "127.0.0.1", 0, ping_interval=None) as ws_server:
        port = next(iter(ws_server.sockets)).getsockname()[1]
        yield server, f"http://127.0.0.1:{port}"


async def send_all(
    server: Hostile, connection: ServerConnection, frames: list[str | bytes]
) -> None:
    """Send each frame, waiting whenever the socket is full; count what went out."""
    for frame in frames:
        await connection.send(frame)
        server.frames_sent += 1


async def hold_open(connection: ServerConnection) -> None:
    """Keep the connection until the client leaves."""
    await connection.wait_closed()


# --------------------------------------------------------------------------- answers


def fixed(
    body: bytes | str, status: int = 200, media_type: str = "application/xml", **headers: str
) -> Answer:
    def answer(server: Hostile, request: Request) -> Response:
        data = body.encode() if isinstance(body, str) else body
        server.sent_bytes += len(data)
        return Response(data, status_code=status, media_type=media_type, headers=headers)

    return answer


def streamed(
    head: bytes, filler: bytes, total: int, *, declare_length: bool, drip_s: float = 0.0
) -> Answer:
    """`head`, then `filler` repeated up to `total` bytes, counting every byte sent;
    `drip_s` sleeps between pieces (a slow drip)."""

    def answer(server: Hostile, request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            piece = head
            sent = 0
            while sent < total:
                piece = piece[: total - sent]
                server.sent_bytes += len(piece)
                sent += len(piece)
                yield piece
                piece = filler
                if drip_s:
                    await asyncio.sleep(drip_s)

        headers = {"content-length": str(total)} if declare_length else {}
        return StreamingResponse(body(), media_type="application/xml", headers=headers)

    return answer


def redirect_to_self(status: int = 302) -> Answer:
    def answer(server: Hostile, request: Request) -> Response:
        return RedirectResponse(str(request.url), status_code=status)

    return answer


def corrupt_gzip(body: bytes) -> Answer:
    """A body that says it is gzip and is not, quite."""
    packed = gzip.compress(body)
    broken = packed[:10] + bytes(b ^ 0x5A for b in packed[10:])
    headers = {"content-encoding": "gzip"}
    return fixed(broken, 200, "application/xml", **headers)


# --------------------------------------------------------------------------- client side


class CountingTransport(httpx.AsyncHTTPTransport):
    """httpx's real transport, counting the body bytes the client actually pulled off the
    socket: how a test sees that a 50 MB answer was abandoned at the cap."""

    def __init__(self) -> None:
        super().__init__()
        self.received = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Counted(response.stream, self)
        return response


class _Counted(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, owner: CountingTransport) -> None:
        self._inner = inner
        self._owner = owner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self._owner.received += len(chunk)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()
