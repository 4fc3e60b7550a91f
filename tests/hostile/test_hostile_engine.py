"""Hostile ResMan answers through the real engine (the rows "Engine" in the table of
`test_hostile_inputs.py`): the simulators behind a hostile proxy that answers ResMan's
posts with the case; the real `SyncEngine`, clients, outbox and database. What a user
sees: failed attempts in the journal with the reason, a retryable refusal retried later
and converging, a permanent one parked as `failed` with nothing lost, and sent again
once the operator retries after ResMan is healthy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from leadsync_tui.config import Settings
from leadsync_tui.http_server import serve_asgi
from leadsync_tui.models import SyncStatus
from leadsync_tui.wiring import open_engine
from tests.engine.conftest import Rig, assert_converged, read_truth, sim_rig
from tests.hostile.test_hostile_inputs import BILLION_LAUGHS

POST = "PostLeadManagement4_0"
UNKNOWN_STATUS = (
    "<ResMan><MethodName>PostLeadManagement4_0</MethodName><Status>Pending</Status>"
    "<AccountID>400</AccountID></ResMan>"
)


@dataclass
class HostileProxy:
    """Forwards to ResMan's simulator, but answers the next `remaining` posts with `body`
    (without forwarding them: ResMan never sees those posts)."""

    upstream: str
    body: str
    remaining: int
    answered: int = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        request = Request(scope, receive)
        content = await request.body()
        if scope["path"].endswith(POST) and self.remaining > 0:
            self.remaining -= 1
            self.answered += 1
            response = Response(self.body, media_type="application/xml")
        else:
            async with httpx.AsyncClient() as http:
                upstream = await http.request(
                    scope["method"],
                    self.upstream + scope["path"],
                    content=content,
                    headers={"content-type": request.headers.get("content-type", "")},
                )
            response = Response(
                upstream.content,
                upstream.status_code,
                media_type=upstream.headers.get("content-type"),
            )
        await response(scope, receive, send)


def through(settings: Settings, proxy_url: str) -> Settings:
    resman = settings.resman.model_copy(update={"base_url": proxy_url})
    return settings.model_copy(update={"resman": resman})


async def _open_fields(settings: Settings) -> dict[str, set[str]]:
    async with open_engine(settings, watcher=False) as setup:
        found: dict[str, set[str]] = {}
        for conflict in await setup.engine.db.open_conflicts():
            found.setdefault(conflict.conversation_id, set()).add(conflict.field)
        return found


def _failed_attempts(events: list[dict[str, Any]], reason: str) -> list[dict[str, Any]]:
    return [
        e
        for e in events
        if e["event"] == "attempt" and e["status"] == "failed" and reason in e.get("error", "")
    ]


async def test_a_retryable_refusal_is_retried_by_the_outbox_and_nothing_is_lost_or_doubled(
    tmp_path: Path,
) -> None:
    async with sim_rig(tmp_path, leads=8, seed=5, concurrency=4) as rig:
        proxy = HostileProxy(rig.sims.resman_url, BILLION_LAUGHS, remaining=3)
        async with serve_asgi(proxy) as proxy_url:
            settings = through(rig.settings, proxy_url)
            events: list[dict[str, Any]] = []
            async with open_engine(settings, on_event=events.append, watcher=False) as setup:
                result = await setup.engine.run_once(max_wait=60)
        assert proxy.answered == 3
        assert result.complete, result
        refused = _failed_attempts(events, "DTD")
        assert refused and all("retry in" in e["outcome"] for e in refused)
        assert_converged(
            await read_truth(Rig(rig.sims, rig.settings)), await _open_fields(settings)
        )


async def test_a_permanent_refusal_parks_the_items_and_a_retry_after_healing_converges(
    tmp_path: Path,
) -> None:
    async with sim_rig(tmp_path, leads=8, seed=5, concurrency=4) as rig:
        proxy = HostileProxy(rig.sims.resman_url, UNKNOWN_STATUS, remaining=10_000)
        async with serve_asgi(proxy) as proxy_url:
            settings = through(rig.settings, proxy_url)
            events: list[dict[str, Any]] = []
            async with open_engine(settings, on_event=events.append, watcher=False) as setup:
                engine = setup.engine
                first = await engine.run_once(max_wait=20)
                assert not first.complete and first.failed > 0 and first.pending == 0
                parked = _failed_attempts(events, "Status=Pending")
                assert parked and all(e["outcome"] == "parked" for e in parked)
                # One attempt each: a permanent refusal is not retried blindly.
                assert proxy.answered == len(parked)
                lead_ids = {e["conversation_id"] for e in parked}
                for cid in lead_ids:
                    held = engine.store.state.leads.get(cid)
                    assert held is not None
                    assert held.resman_sync_status is SyncStatus.FAILED
                # ResMan is fixed; the operator sends the parked items again.
                proxy.remaining = 0
                assert await engine.retry_failed() == first.failed
                second = await engine.run_once(max_wait=60)
            assert second.complete, second
        assert_converged(
            await read_truth(Rig(rig.sims, rig.settings)), await _open_fields(settings)
        )
