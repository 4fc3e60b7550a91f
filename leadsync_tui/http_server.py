"""Run any ASGI app as a real HTTP/WebSocket server inside the running event loop.

The simulators must be real servers (clients speak to them over loopback exactly as they
would to DomIQ and ResMan), yet live in the same process and loop as the TUI or the test:
no thread, no subprocess, nothing left behind when the block ends.

    async with serve_asgi(app) as base_url:     # "http://127.0.0.1:43817"
        ...

Port 0 asks the OS for a free port; we bind the socket ourselves and hand it to uvicorn,
so the real port is known before the first request and a bind error is a plain `OSError`
here rather than uvicorn's `sys.exit`. Uvicorn's signal handling is disabled: the host
process (the TUI, pytest) owns Ctrl+C.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Generator
from typing import Literal

import uvicorn
from starlette.types import ASGIApp

logger = logging.getLogger(__name__)

_STARTUP_TIMEOUT_S = 10.0


class ServerStartError(RuntimeError):
    """The embedded server stopped before it began serving."""


class _InProcessServer(uvicorn.Server):
    """A uvicorn server that leaves the process's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@contextlib.asynccontextmanager
async def serve_asgi(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    lifespan: Literal["on", "off", "auto"] = "off",
    shutdown_timeout_s: int = 5,
    ws_ping_interval_s: float | None = 20.0,
    date_header: bool | None = None,
) -> AsyncIterator[str]:
    """Serve `app` on `host:port` (0 = any free port) and yield its base URL.

    On exit (normal, exception or cancellation) the server stops accepting, asks open
    connections (WebSockets included) to close, waits up to `shutdown_timeout_s` for them
    and releases the port. Uvicorn stamps `Date` unless `date_header=False` or (None) the
    app sends its own (`app.state.sends_date`, the ResMan simulator's clock): two would
    make one unreadable header.
    """
    sock = _bind(host, port)
    config = uvicorn.Config(
        app,
        host=host,
        port=sock.getsockname()[1],
        lifespan=lifespan,
        log_config=None,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        timeout_graceful_shutdown=shutdown_timeout_s,
        ws_ping_interval=ws_ping_interval_s,
        date_header=not _sends_date(app) if date_header is None else date_header,
    )
    server = _InProcessServer(config)
    task = asyncio.create_task(_run(server, sock), name=f"serve_asgi:{config.port}")
    try:
        await _wait_started(server, task)
        yield _base_url(host, config.port)
    except BaseException:
        await _stop(server, task, sock, raise_errors=False)
        raise
    await _stop(server, task, sock, raise_errors=True)


def _sends_date(app: ASGIApp) -> bool:
    return getattr(getattr(app, "state", None), "sends_date", False) is True


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on accepted sockets whose proto
    # says TCP; with 0, keep-alive requests stall ~40 ms on Nagle + delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def _base_url(host: str, port: int) -> str:
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


async def _run(server: uvicorn.Server, sock: socket.socket) -> None:
    try:
        await server.serve(sockets=[sock])
    except SystemExit as exc:  # uvicorn exits the process on a failed startup
        raise ServerStartError(f"embedded server failed to start (exit code {exc.code})") from None


async def _wait_started(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _STARTUP_TIMEOUT_S
    while not server.started:
        if task.done():
            task.result()  # raises the startup error, if any
            raise ServerStartError("embedded server stopped before it started serving")
        if loop.time() > deadline:
            raise ServerStartError(f"embedded server did not start in {_STARTUP_TIMEOUT_S} s")
        await asyncio.sleep(0.005)


async def _stop(
    server: uvicorn.Server, task: asyncio.Task[None], sock: socket.socket, *, raise_errors: bool
) -> None:
    server.should_exit = True
    try:
        await task
    except asyncio.CancelledError:
        sock.close()
        raise
    except Exception:
        if raise_errors:
            raise
        logger.exception("embedded server failed while shutting down")
    finally:
        sock.close()
