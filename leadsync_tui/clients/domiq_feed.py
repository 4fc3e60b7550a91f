"""DomIQ's live event feed (`GET /v1/events`, WebSocket) with resume, for the engine.

Why it is built this way:
- Resume is by event id: every reconnect asks for `since=<last id delivered>`, and ids
  at or below it are skipped, so a drop neither loses nor repeats an event. The id only
  advances after `on_event` returned, so an engine that failed on an event sees it again.
- A gap in the ids, a `since` the server refuses, or the server's own `resync_required`
  all reach `on_event` as a `resync_required` event: the engine's answer to all of them
  is the same full pull.
- Drops reconnect with jittered exponential backoff (bounded; reset once a connection
  has delivered a frame, so a server that accepts and drops at once is not hammered).
- A refused token parks the feed in an `auth_failed` state: no reconnect loop, only
  `request_reconnect()` (the UI's key) tries again.
- Bad frames (binary, not JSON, not an event, a lead event whose lead is unreadable) are
  refused as `BadFrame` with a reason, logged, counted and skipped; a connection that
  sends more than `max_bad_frames` of them is dropped and resumed after a full pull
  (a stream that broken cannot be trusted), with backoff. A silent socket (no frame,
  not even a heartbeat, for `stale_after` seconds) is treated as dropped.
- Memory is bounded whatever the server sends: frames over `max_frame_bytes` close the
  connection, and at most `MAX_QUEUED_FRAMES` frames wait unread (then the library stops
  reading the socket: a flood is held back by TCP, not buffered here). Compression is
  off, or one socket read could inflate thousands of tiny frames past that queue. The
  loop yields after every frame, so a flood cannot starve the UI.

A `wss://` server is checked with the `tls` context the engine gives (public CAs plus
`[tls] ca_bundle`); a certificate that fails the check ends the connection with a reason
naming the problem and the fix, like the HTTP clients' `CertificateRejected`.

The token travels in the `Authorization` header only; the websockets library's handshake
debug log (which would print it) is switched off for our connections.

What each close code or failed handshake means for the next connection is read in
`domiq_feed_ends`; this module acts on it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from pydantic import SecretStr
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from leadsync_tui.clients.domiq_feed_ends import (
    AuthRefused,
    Ended,
    ended_by_close,
    failed_to_connect,
)
from leadsync_tui.clients.domiq_frames import BadFrame, events_url, parse_frame
from leadsync_tui.clients.retry import jittered_wait
from leadsync_tui.event_wait import wait_for_event
from leadsync_tui.models import EventType, SyncEvent, utc_now

logger = logging.getLogger(__name__)

MAX_QUEUED_FRAMES = 16
"""Frames received but not yet read, at most; then the socket is not read."""
LOGGED_BAD_FRAMES = 10
"""Bad frames per connection logged at WARNING; the rest at DEBUG (counted all the same)."""


@dataclass(frozen=True)
class FeedState:
    """The feed's connection as the UI shows it (`real_time_connected`, `last_ping`, ...)."""

    connected: bool = False
    last_ping: datetime | None = None
    """When a frame (heartbeat or event) last arrived."""
    reconnect_attempts: int = 0
    """Reconnects tried since the feed was last connected."""
    last_event_id: int | None = None
    """The resume point: the last event delivered (or, before any, the server's id)."""
    last_error: str | None = None
    """Why the last connection ended or failed; None while connected without trouble."""
    auth_failed: bool = False
    """DomIQ refused the token; the feed waits for `request_reconnect()`."""
    bad_frames: int = 0
    """Frames that could not be read and were skipped."""

    def reportable(self) -> tuple[object, ...]:
        """What a change must touch to be reported (the id moves with every event)."""
        return (
            self.connected,
            self.last_ping,
            self.reconnect_attempts,
            self.last_error,
            self.auth_failed,
            self.bad_frames,
        )


class _QuietDebug(logging.LoggerAdapter[logging.Logger]):
    """websockets logs handshake headers at DEBUG; never let it (the bearer token)."""

    def isEnabledFor(self, level: int) -> bool:
        return level > logging.DEBUG and self.logger.isEnabledFor(level)


class DomiqFeed:
    """Runs the live feed until stopped; see the module docstring for the guarantees."""

    def __init__(
        self,
        base_url: str,
        token: SecretStr,
        *,
        on_event: Callable[[SyncEvent], Awaitable[None]],
        on_state: Callable[[FeedState], None],
        since: int | None = None,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        backoff_jitter: float = 0.5,
        open_timeout: float = 10.0,
        stale_after: float = 30.0,
        ping_interval: float | None = 20.0,
        max_frame_bytes: int = 1024 * 1024,
        max_bad_frames: int = 100,
        now: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """`tls` checks a `wss://` server (`config.tls_context`: public CAs plus
        `[tls] ca_bundle`); None is the websockets default (the system's CAs)."""
        events_url(base_url, None)  # validate early
        if backoff_initial < 0 or backoff_max < backoff_initial or stale_after <= 0:
            raise ValueError("need 0 <= backoff_initial <= backoff_max and stale_after > 0")
        if max_bad_frames < 1 or max_frame_bytes < 1024:
            raise ValueError("need max_bad_frames >= 1 and max_frame_bytes >= 1024")
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._on_event = on_event
        self._on_state = on_state
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._jitter = backoff_jitter
        self._open_timeout = open_timeout
        self._stale_after = stale_after
        self._ping_interval = ping_interval
        self._max_frame = max_frame_bytes
        self._max_bad = max_bad_frames
        self._session_bad = 0
        """Bad frames on the current connection."""
        self._now = now
        self._tls = tls
        self._rng = rng or random.Random()
        self._state = FeedState(last_event_id=since)
        self._accept_jump = False
        """Set after resync_required: the next event's id may jump ahead."""
        self._pending_resync = False
        self._sessions = 0
        """Connections opened so far; a reconnect with no resume point must resync."""
        """Set when the server refused our resume point: deliver a resync on connect."""
        self._ws: ClientConnection | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        self._reconnect_now = False
        self._closing: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ public

    @property
    def state(self) -> FeedState:
        return self._state

    @property
    def last_event_id(self) -> int | None:
        return self._state.last_event_id

    def request_reconnect(self) -> None:
        """Reconnect now: drop the current connection, skip any backoff or auth pause."""
        self._reconnect_now = True
        self._wake.set()
        self._close_current()

    def stop(self) -> None:
        """End `run()` soon (it returns normally); cancelling its task works too."""
        self._stopping = True
        self._wake.set()
        self._close_current()

    async def run(self) -> None:
        """Connect, deliver, reconnect, until `stop()` or cancellation."""
        backoff_step = 0
        try:
            while not self._stopping:
                self._wake.clear()
                self._reconnect_now = False
                try:
                    await self._session()
                    ended = Ended("connection closed", proven=True, immediate=True)
                except AuthRefused as exc:
                    self._update(connected=False, auth_failed=True, last_error=str(exc))
                    logger.warning("DomIQ live feed: %s; waiting for a manual reconnect", exc)
                    await self._pause(None)
                    backoff_step = 0
                    continue
                except Ended as exc:
                    ended = exc
                if self._stop_requested():
                    break
                if ended.proven:
                    backoff_step = 0
                immediate = self._reconnect_now or ended.immediate
                delay = 0.0 if immediate else self._backoff(backoff_step)
                backoff_step = 0 if immediate else backoff_step + 1
                self._update(
                    connected=False,
                    reconnect_attempts=self._state.reconnect_attempts + 1,
                    last_error=None if self._reconnect_now else ended.reason,
                )
                logger.info("DomIQ live feed: %s; reconnecting in %.2f s", ended.reason, delay)
                await self._pause(delay)
        finally:
            self._ws = None
            if self._state.connected:
                self._update(connected=False)

    # ------------------------------------------------------------------ internals

    def _stop_requested(self) -> bool:
        return self._stopping

    def _backoff(self, step: int) -> float:
        return jittered_wait(
            step + 1,
            initial=self._backoff_initial,
            maximum=self._backoff_max,
            jitter=self._jitter,
            rng=self._rng,
        )

    async def _pause(self, seconds: float | None) -> None:
        """Sleep `seconds` (None: until woken), cut short by `request_reconnect`/`stop`."""
        if self._stopping or self._reconnect_now:
            return
        await wait_for_event(self._wake, seconds)

    def _close_current(self) -> None:
        ws = self._ws
        if ws is None:
            return
        task = asyncio.get_running_loop().create_task(ws.close())
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _session(self) -> None:
        """One connection, from handshake to its end (raises `Ended`/`AuthRefused`)."""
        if self._sessions and self._state.last_event_id is None:
            # Dropped before the server told us where we were (no event, no heartbeat):
            # whatever happened meanwhile is unknown, so the engine must pull in full.
            self._pending_resync = True
        url = events_url(self.base_url, self._state.last_event_id)
        # ssl= only for wss:// (websockets refuses it for ws://, the demo's loopback sims).
        secure = self._tls is not None and url.startswith("wss://")
        tls: dict[str, Any] = {"ssl": self._tls} if secure else {}
        proven = False
        try:
            async with connect(
                url,
                additional_headers={"Authorization": f"Bearer {self._token.get_secret_value()}"},
                open_timeout=self._open_timeout,
                ping_interval=self._ping_interval,
                ping_timeout=self._ping_interval,
                close_timeout=2,
                max_size=self._max_frame,
                max_queue=MAX_QUEUED_FRAMES,
                # No permessage-deflate: a compressed flood inflates many frames per
                # socket read before the queue can push back (a zip bomb in slices).
                compression=None,
                logger=_QuietDebug(logging.getLogger("websockets.client"), {}),
                **tls,
            ) as ws:
                self._ws = ws
                if self._stopping:
                    return
                self._sessions += 1
                self._session_bad = 0
                self._update(
                    connected=True, reconnect_attempts=0, last_error=None, auth_failed=False
                )
                while True:
                    try:
                        async with asyncio.timeout(self._stale_after):
                            raw = await ws.recv()  # cancel-safe: no frame is lost
                    except TimeoutError:
                        raise Ended(
                            f"no frame for {self._stale_after:g} s", proven=proven
                        ) from None
                    if not proven:
                        # The server has spoken (not just closed on us): resync now.
                        proven = True
                        if self._pending_resync:
                            self._pending_resync = False
                            self._accept_jump = True
                            await self._deliver_resync()
                    await self._handle(raw)
                    await asyncio.sleep(0)  # a flood of ready frames must not starve the loop
        except ConnectionClosed as exc:
            raise self._closed(exc, proven) from None
        except (InvalidHandshake, InvalidURI, OSError, TimeoutError) as exc:
            raise failed_to_connect(exc) from None
        finally:
            self._ws = None

    def _closed(self, exc: ConnectionClosed, proven: bool) -> Exception:
        ended = ended_by_close(exc, proven=proven, max_frame=self._max_frame)
        if isinstance(ended, Ended) and ended.resume_refused:
            # The server refuses our `since`: start over from now, after a full pull.
            self._state = replace(self._state, last_event_id=None)
            self._pending_resync = True
        return ended

    async def _handle(self, raw: str | bytes) -> None:
        now = self._now()
        try:
            event = parse_frame(raw)
        except BadFrame as exc:
            self._bad_frame(exc, now)
            return
        last = self._state.last_event_id
        if event.type is EventType.HEARTBEAT:
            if event.id is not None and (last is None or self._accept_jump):
                self._state = replace(self._state, last_event_id=event.id)
                self._accept_jump = False
            self._update(last_ping=now)
            return
        if event.type is EventType.RESYNC_REQUIRED:
            self._accept_jump = True
            await self._on_event(event)
            self._update(last_ping=now)
            return
        assert event.id is not None  # decode_frame guarantees it
        if last is not None and event.id <= last:
            self._update(last_ping=now)
            return  # already delivered (a replay overlapping what we saw)
        if last is not None and event.id > last + 1 and not self._accept_jump:
            logger.warning("DomIQ live feed: events %d..%d missing; full pull", last + 1, event.id)
            await self._deliver_resync()
        await self._on_event(event)
        self._accept_jump = False
        self._state = replace(self._state, last_event_id=event.id)
        self._update(last_ping=now)

    def _bad_frame(self, error: BadFrame, now: datetime) -> None:
        """Count and log a refused frame; too many on one connection end it."""
        self._session_bad += 1
        level = logging.WARNING if self._session_bad <= LOGGED_BAD_FRAMES else logging.DEBUG
        logger.log(level, "DomIQ live feed: skipped a bad frame: %s", error.message)
        self._update(bad_frames=self._state.bad_frames + 1, last_ping=now)
        if self._session_bad > self._max_bad:
            # A stream this broken may have hidden real events among the garbage.
            self._pending_resync = True
            raise Ended(
                f"DomIQ sent {self._session_bad} bad frames on one connection (last: "
                f"{error.message}); reconnecting, then a full pull",
                proven=False,
            )

    async def _deliver_resync(self) -> None:
        await self._on_event(SyncEvent(type=EventType.RESYNC_REQUIRED, at=self._now()))

    def _update(self, **changes: Any) -> None:
        before = self._state
        self._state = replace(before, **changes)
        if self._state.reportable() != before.reportable():
            self._on_state(self._state)
