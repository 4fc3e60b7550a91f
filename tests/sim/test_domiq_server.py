"""`serve_asgi`, the in-process server runner the DomIQ (and ResMan) simulators share."""

from __future__ import annotations

import asyncio
import signal
import socket
import time
from contextlib import AsyncExitStack

import httpx
import pytest
from starlette.types import Receive, Scope, Send
from websockets.exceptions import ConnectionClosed

from leadsync_tui.http_server import serve_asgi
from tests.sim.domiq_fixtures import feed, frame, make_sim
from tests.waiting import eventually


async def hello(scope: Scope, receive: Receive, send: Send) -> None:
    """The smallest ASGI app: any HTTP request gets `hello`."""
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello"})


async def refused(base_url: str) -> bool:
    async with httpx.AsyncClient() as client:
        try:
            await client.get(base_url)
        except httpx.ConnectError:
            return True
    return False


async def test_serves_any_asgi_app_on_a_free_port_and_releases_it() -> None:
    async with serve_asgi(hello) as base_url, httpx.AsyncClient() as client:
        host, port = base_url.removeprefix("http://").split(":")
        assert host == "127.0.0.1"
        assert int(port) > 0
        response = await client.get(base_url + "/anything")
        assert response.text == "hello"
    assert await refused(base_url)


async def test_two_servers_run_side_by_side() -> None:
    async with serve_asgi(hello) as one, serve_asgi(hello) as two:
        assert one != two
        async with httpx.AsyncClient() as client:
            assert (await client.get(one)).text == (await client.get(two)).text == "hello"


async def test_an_error_in_the_body_still_stops_the_server() -> None:
    base_url = ""
    with pytest.raises(LookupError, match="from the body"):
        async with serve_asgi(hello) as base_url:
            raise LookupError("from the body")
    assert await refused(base_url)


async def test_cancelling_the_owner_stops_the_server() -> None:
    urls: list[str] = []

    async def owner() -> None:
        async with serve_asgi(hello) as base_url:
            urls.append(base_url)
            await asyncio.sleep(60)

    task = asyncio.create_task(owner())
    await eventually(lambda: bool(urls))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await refused(urls[0])


async def test_open_websockets_are_closed_on_exit() -> None:
    sim = make_sim()
    started = time.perf_counter()
    async with AsyncExitStack() as client_side:
        async with serve_asgi(sim.app) as base_url:
            ws = await client_side.enter_async_context(feed(base_url))
            await eventually(lambda: sim.state.subscriber_count == 1)
        # the server has stopped while the client is still connected
        with pytest.raises(ConnectionClosed) as closed:
            await frame(ws)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1012  # "service restart": reconnect later
    assert time.perf_counter() - started < 3
    assert sim.state.subscriber_count == 0


async def test_the_host_process_keeps_its_signal_handlers() -> None:
    before = signal.getsignal(signal.SIGINT)
    async with serve_asgi(hello):
        assert signal.getsignal(signal.SIGINT) is before
    assert signal.getsignal(signal.SIGINT) is before


async def test_a_port_in_use_is_an_os_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError):
            async with serve_asgi(hello, port=port):
                pass
