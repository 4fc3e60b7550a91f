"""Helpers for the DomIQ simulator tests: a frozen clock, a simulator factory, clients.

Plain functions and classes rather than pytest fixtures, so each test module builds the
simulator it needs (window size, heartbeat, faults) without a shared conftest.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect

from leadsync_tui.http_server import serve_asgi
from leadsync_tui.models import LeadData
from leadsync_tui.sim.domiq import DomiqState, create_domiq_app
from leadsync_tui.sim.faults import FaultSettings
from tests.clocks import FrozenClock

TOKEN = "sim-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
T0 = datetime(2026, 11, 24, 9, 0, 0, tzinfo=UTC)


@dataclass
class Sim:
    state: DomiqState
    faults: FaultSettings
    clock: FrozenClock
    app: Starlette


def make_sim(
    *,
    seed: int = 7,
    event_window: int = 10_000,
    queue_size: int = 1_000,
    heartbeat_interval: float = 5.0,
    faults: FaultSettings | None = None,
    token: str = TOKEN,
) -> Sim:
    clock = FrozenClock(T0)
    state = DomiqState(
        seed=seed, now=clock, event_window=event_window, subscriber_queue_size=queue_size
    )
    faults = faults or FaultSettings(seed=1)
    app = create_domiq_app(state, token=token, faults=faults, heartbeat_interval=heartbeat_interval)
    return Sim(state, faults, clock, app)


def lead_body(**overrides: Any) -> dict[str, Any]:
    """A valid `POST /v1/leads` body."""
    body: dict[str, Any] = {
        "property_id": "prop_oakridge",
        "first_name": "Maya",
        "last_name": "Okafor",
        "email": "maya.okafor@example.com",
        "phone": "+15125550143",
        "desired_move_in": "2027-01-15",
        "desired_bedrooms": 2,
        "desired_bathrooms": 1.5,
        "max_rent": 1850,
        "pets": True,
        "source": "website_chat",
        "notes": "Wants a ground floor unit.",
    }
    body.update(overrides)
    return body


def lead_data(**overrides: Any) -> LeadData:
    """The same lead as `LeadData`, for calling the state directly."""
    return LeadData.model_validate(lead_body(**overrides))


def asgi_client(
    app: Starlette, *, auth: bool = True, client: tuple[str, int] = ("127.0.0.1", 50000)
) -> httpx.AsyncClient:
    """An in-process client (no socket) for routes where the network adds nothing."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=client),
        base_url="http://domiq.test",
        headers=AUTH if auth else {},
    )


async def create(client: httpx.AsyncClient, key: str, **overrides: Any) -> dict[str, Any]:
    """Create a lead through the API and return its JSON (asserting it was created)."""
    response = await client.post(
        "/v1/leads", json=lead_body(**overrides), headers={"Idempotency-Key": key}
    )
    assert response.status_code == 201, response.text
    lead: dict[str, Any] = response.json()
    return lead


def ws_url(base_url: str, **params: str | int) -> str:
    query = "&".join(f"{name}={value}" for name, value in params.items())
    return base_url.replace("http://", "ws://") + "/v1/events" + (f"?{query}" if query else "")


@asynccontextmanager
async def feed(
    base_url: str, *, headers: dict[str, str] | None = None, **params: str | int
) -> AsyncIterator[ClientConnection]:
    """A live-feed client, with the bearer header unless `headers` says otherwise."""
    async with connect(
        ws_url(base_url, **params),
        additional_headers=AUTH if headers is None else headers,
        open_timeout=5,
        close_timeout=1,
    ) as ws:
        yield ws


async def frame(ws: ClientConnection, within_s: float = 3.0) -> dict[str, Any]:
    """The next frame as JSON."""
    raw = await asyncio.wait_for(ws.recv(), within_s)
    parsed: dict[str, Any] = json.loads(raw)
    return parsed


@asynccontextmanager
async def served(sim: Sim) -> AsyncIterator[str]:
    async with serve_asgi(sim.app) as base_url:
        yield base_url
