"""Helpers for the client tests: the real simulators, our real clients, fast retry policies.

Plain functions rather than pytest fixtures (no conftest), so each test builds the world
it needs. Nothing here imitates our clients: the clients under test talk to the
simulators in-process (httpx `ASGITransport`) or over loopback sockets (`serve_asgi`).
"""

from __future__ import annotations

import asyncio
import io
import json
import traceback
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import SecretStr
from rich.console import Console
from rich.traceback import Traceback
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.resman import ResmanClient
from leadsync_tui.clients.retry import RetryPolicy
from leadsync_tui.http_server import serve_asgi
from leadsync_tui.sim.faults import FaultSettings
from leadsync_tui.sim.resman import (
    Employee,
    LostReason,
    Property,
    ResmanState,
    Source,
    create_resman_app,
)
from tests.clocks import FrozenClock
from tests.sim.domiq_fixtures import Sim, make_sim
from tests.sim.domiq_fixtures import lead_data as lead_data  # re-exported for the client tests

TOKEN = "domiq-test-token-7f3a9c"
API_KEY = "resman-test-key-51be2d"
PARTNER = "leadsync-client-test"
ACCOUNT = 400
T0 = datetime(2026, 11, 24, 9, 0, 0, tzinfo=UTC)


class RecordingSleep:
    """An injectable sleep that records each wait; `then` runs after the n-th wait."""

    def __init__(self, then: Callable[[int], None] | None = None, *, real: bool = False) -> None:
        self.waits: list[float] = []
        self._then = then
        self._real = real

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self._then is not None:
            self._then(len(self.waits))
        await asyncio.sleep(seconds if self._real else 0)


def fast_retry(
    attempts: int = 4, sleep: RecordingSleep | None = None, total_seconds: float = 30.0
) -> RetryPolicy:
    """Exact, tiny waits (no jitter) so tests are fast and their waits predictable."""
    return RetryPolicy(
        attempts=attempts,
        total_seconds=total_seconds,
        initial_wait=0.001,
        max_wait=0.004,
        jitter=0.0,
        sleep=sleep or RecordingSleep(),
    )


def crash_screen(exc: BaseException) -> str:
    """An exception as Textual's crash screen shows it (rich, with the locals of every
    frame), followed by `traceback`'s own rendering with locals."""
    console = Console(file=io.StringIO(), width=200, record=True, color_system=None)
    console.print(Traceback.from_exception(type(exc), exc, exc.__traceback__, show_locals=True))
    plain = traceback.TracebackException.from_exception(exc, capture_locals=True)
    return console.export_text() + "".join(plain.format())


def heal_after(faults: FaultSettings, n: int, **knobs: float) -> Callable[[int], None]:
    """A `RecordingSleep.then` that sets fault knobs (default: all rates 0) after n waits."""
    changes = knobs or {"error_rate": 0.0, "rate_limit_rate": 0.0, "malformed_rate": 0.0}

    def then(waited: int) -> None:
        if waited == n:
            faults.update(dict(changes))

    return then


async def sim_stats(app: Starlette) -> dict[str, Any]:
    """A simulator's own `GET /_sim/stats` (its counters of what reached it)."""
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim.test") as control:
        response = await control.get("/_sim/stats")
    assert response.status_code == 200, response.text
    stats: dict[str, Any] = response.json()
    return stats


@asynccontextmanager
async def served(app: ASGIApp) -> AsyncIterator[str]:
    async with serve_asgi(app) as base_url:
        yield base_url


# --------------------------------------------------------------------------- DomIQ


DomiqSim = Sim
"""The DomIQ simulator rig of the simulator tests, reused here with this module's token."""


def domiq_sim(
    *,
    seed: int = 7,
    event_window: int = 10_000,
    heartbeat_interval: float = 5.0,
    faults: FaultSettings | None = None,
) -> DomiqSim:
    return make_sim(
        seed=seed,
        event_window=event_window,
        heartbeat_interval=heartbeat_interval,
        faults=faults,
        token=TOKEN,
    )


def domiq_client(
    sim: DomiqSim,
    *,
    token: str = TOKEN,
    retry: RetryPolicy | None = None,
    timeout: float = 2.0,
    **options: Any,
) -> DomiqClient:
    """Our client over an in-process transport to the simulator."""
    transport = httpx.ASGITransport(app=sim.app, client=("127.0.0.1", 50000))
    return DomiqClient(
        "http://domiq.test",
        SecretStr(token),
        timeout=timeout,
        retry=retry or fast_retry(),
        transport=transport,
        **options,
    )


def seed_leads(sim: DomiqSim, count: int, *, step_s: float = 1.0) -> list[str]:
    """`count` leads created one `step_s` apart; their conversation ids in order."""
    ids = []
    for i in range(count):
        sim.clock.advance(step_s)
        lead, _ = sim.state.create_lead(lead_data(first_name=f"P{i:04d}", email=None), f"seed-{i}")
        ids.append(lead.conversation_id)
    return ids


@dataclass
class WsCounter:
    """Wraps an ASGI app; counts WebSocket connection attempts (any token) and can slip
    one unreadable text frame in before the real ones (`garbage`)."""

    app: ASGIApp
    garbage: list[str] = field(default_factory=list)
    attempts: int = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        self.attempts += 1
        pending = list(self.garbage)
        self.garbage.clear()

        async def sending(message: Message) -> None:
            if message["type"] == "websocket.send":
                while pending:
                    await send({"type": "websocket.send", "text": pending.pop(0)})
            await send(message)

        await self.app(scope, receive, sending)


@dataclass
class LoseAnswers:
    """Wraps an ASGI app: the next `count` `method` requests are processed, but their
    answer is held back `delay_s` (the client gives up: the answer is lost in transit)."""

    app: ASGIApp
    method: str
    count: int = 1
    delay_s: float = 0.3

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != self.method or self.count <= 0:
            await self.app(scope, receive, send)
            return
        self.count -= 1

        async def held_back(message: Message) -> None:
            if message["type"] == "http.response.start":
                await asyncio.sleep(self.delay_s)
            await send(message)

        await self.app(scope, receive, held_back)


# --------------------------------------------------------------------------- ResMan


@dataclass
class ResmanWorld:
    state: ResmanState
    clock: FrozenClock
    faults: FaultSettings
    app: Starlette
    prop: Property
    source: Source
    agent: Employee
    lost_reason: LostReason
    other_prop: Property


def resman_world(
    *, seed: int = 7, search_limit: int = 500, faults: FaultSettings | None = None
) -> ResmanWorld:
    """An account with two properties (a source and an agent each) and a lost reason."""
    clock = FrozenClock(T0)
    state = ResmanState(
        seed=seed, now=clock, integration_partner_id=PARTNER, api_key=API_KEY, account_id=ACCOUNT
    )
    prop = state.add_property("Oak Terrace", city="Austin", state="TX")
    other = state.add_property("Pine Court", city="Dallas", state="TX")
    source = state.add_source(prop.property_id, "DomIQ Chat")
    state.add_source(other.property_id, "Pine Website")
    agent = state.add_employee(prop.property_id, "Jane Agent", "jane@oak.example")
    state.add_employee(other.property_id, "Pete Pine", "pete@pine.example")
    reason = state.add_lost_reason("Inactive (Lack of Response)")
    faults = faults or FaultSettings(seed=1)
    app = create_resman_app(state, faults=faults, search_limit=search_limit)
    return ResmanWorld(state, clock, faults, app, prop, source, agent, reason, other)


def resman_client(
    world: ResmanWorld,
    *,
    api_key: str = API_KEY,
    retry: RetryPolicy | None = None,
    timeout: float = 2.0,
    base_url: str | None = None,
) -> ResmanClient:
    """Our client, in-process unless `base_url` (a served simulator) is given."""
    transport = (
        None
        if base_url is not None
        else httpx.ASGITransport(app=world.app, client=("127.0.0.1", 40000))
    )
    return ResmanClient(
        base_url or "http://api.myresman.test",
        PARTNER,
        SecretStr(api_key),
        ACCOUNT,
        timeout=timeout,
        retry=retry or fast_retry(),
        transport=transport,
    )


def method_count(stats: dict[str, Any], method: str) -> int:
    count: int = stats["requests_by_method"].get(method, 0)
    return count


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
