"""The live feed, WebSocket `/v1/events?since=<id>`, as the contract describes it.

One JSON object per frame. Without `since` the feed starts from now; with it, every
retained later event is replayed first. A `since` the server can no longer honour gets
`{"type": "resync_required"}` first, then the feed continues from now. Heartbeats carry
the id of the last event *sent on this connection*, so a client that stores it never
skips an event still waiting in its queue.

Close codes: 4401 bad or missing token, 4400 bad `since`, 1013 when the reader fell so
far behind that its queue overflowed (resume with `since`). The `ws_drop_rate` fault
cuts the TCP connection with no close frame before an event frame (clients see 1006);
the event stays in the log for the resume.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from leadsync_tui.models import EventType, SyncEvent
from leadsync_tui.sim.domiq.auth import bearer_token, token_ok
from leadsync_tui.sim.domiq.state import DomiqState, Subscription
from leadsync_tui.sim.domiq.stats import WS_DROP, SimStats
from leadsync_tui.sim.faults import FaultSettings

logger = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_BAD_REQUEST = 4400
CLOSE_TOO_SLOW = 1013

_REPLAY_BATCH = 200


class _Outcome(enum.Enum):
    CLIENT_GONE = "client_gone"
    CLOSED = "closed"
    """We sent a close frame."""
    CUT = "cut"
    """We end without a close frame; uvicorn then closes the TCP connection."""


def make_feed_endpoint(
    state: DomiqState,
    *,
    token: str,
    faults: FaultSettings,
    stats: SimStats,
    heartbeat_interval: float,
) -> Callable[[WebSocket], Awaitable[None]]:
    async def feed(websocket: WebSocket) -> None:
        await websocket.accept()
        given = bearer_token(websocket.headers) or websocket.query_params.get("token")
        if not token_ok(given, token):
            await websocket.close(CLOSE_UNAUTHORIZED, "unauthorized: bearer token missing or wrong")
            return
        try:
            since = _parse_since(websocket.query_params.get("since"))
        except ValueError as exc:
            await websocket.close(CLOSE_BAD_REQUEST, f"bad_request: {exc}")
            return
        stats.ws_connections += 1
        sub = state.subscribe(since)
        try:
            sender = _Sender(websocket, sub, state, faults, stats, heartbeat_interval)
            await _run(websocket, sender.run())
        finally:
            state.unsubscribe(sub)

    return feed


def _parse_since(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()):
        raise ValueError(f"since must be a non-negative event id, got {raw!r}")
    return int(raw)


async def _run(websocket: WebSocket, sending: Awaitable[_Outcome]) -> _Outcome:
    """Send until the sender finishes or the client goes away, whichever comes first."""
    sender = asyncio.ensure_future(sending)
    receiver = asyncio.ensure_future(_until_disconnect(websocket))
    try:
        done, _ = await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        sender.cancel()
        receiver.cancel()
        results = await asyncio.gather(sender, receiver, return_exceptions=True)
    if sender not in done:
        return _Outcome.CLIENT_GONE
    outcome = results[0]
    if isinstance(outcome, _Outcome):
        return outcome
    if isinstance(outcome, WebSocketDisconnect | OSError):
        return _Outcome.CLIENT_GONE
    logger.error("live feed sender failed; cutting the connection", exc_info=outcome)
    return _Outcome.CUT


async def _until_disconnect(websocket: WebSocket) -> None:
    """Read (and ignore) client frames until the client disconnects."""
    while (await websocket.receive())["type"] != "websocket.disconnect":
        pass


class _Sender:
    """Writes one connection's frames: resync notice, replay, then live events + heartbeats."""

    def __init__(
        self,
        websocket: WebSocket,
        sub: Subscription,
        state: DomiqState,
        faults: FaultSettings,
        stats: SimStats,
        heartbeat_interval: float,
    ) -> None:
        self.websocket = websocket
        self.sub = sub
        self.state = state
        self.faults = faults
        self.stats = stats
        self.interval = heartbeat_interval
        self.last_id = sub.start_id

    async def run(self) -> _Outcome:
        if self.sub.resync_required:
            await self._send({"type": EventType.RESYNC_REQUIRED.value})
        for sent, event in enumerate(self.sub.backlog, start=1):
            if not await self._send_event(event):
                return _Outcome.CUT
            if sent % _REPLAY_BATCH == 0:
                await asyncio.sleep(0)  # a long replay must not starve the loop we share
        return await self._live()

    async def _live(self) -> _Outcome:
        loop = asyncio.get_running_loop()
        next_beat = loop.time() + self.interval
        while True:
            if self.sub.dropped:
                await self.websocket.close(CLOSE_TOO_SLOW, "fell behind; resume with since")
                return _Outcome.CLOSED
            wait = next_beat - loop.time()
            if wait <= 0:
                await self._heartbeat()
                next_beat = loop.time() + self.interval
                continue
            try:  # not `wait_for`: on 3.11 it can lose a cancellation (`event_wait`)
                async with asyncio.timeout(wait):
                    event = await self.sub.queue.get()
            except TimeoutError:
                continue
            if not await self._send_event(event):
                return _Outcome.CUT

    async def _send_event(self, event: SyncEvent) -> bool:
        """Send one event frame, unless the drop fault cuts the connection first."""
        if self.faults.drop_socket():
            self.stats.count_fault(WS_DROP)
            return False
        await self._send(event.model_dump(mode="json"))
        assert event.id is not None
        self.last_id = event.id
        return True

    async def _heartbeat(self) -> None:
        beat = SyncEvent(id=self.last_id, type=EventType.HEARTBEAT, at=self.state.now(), data={})
        await self._send(beat.model_dump(mode="json"))

    async def _send(self, frame: dict[str, Any]) -> None:
        await self.websocket.send_text(json.dumps(frame, separators=(",", ":")))
