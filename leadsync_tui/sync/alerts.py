"""`[alerts] webhook_url`: the engine tells people when it needs them, off the machine.

A Slack-compatible JSON post (`{"text": ...}`) once per change of state, never per
event: a condition starts ("12 leads failed to sync to ResMan in the last 5 min — top
reason: rate limited (429)", "3 conflicts need a manager", "DomIQ live feed down for
2 min", "4 leads stopped syncing ...") or ends ("recovered: ..."). Changes that come
within `min_interval` of the last post wait and go out together in the next one; a
condition that came and went in between is never said at all.

What is wrong is read from the engine's journal (failed attempts, feed drops: the same
events as the JSON lines) and from the store (parked items, open conflicts, the feed's
state). Messages hold counts, kinds and durations only: never a name, email, phone or
secret. The webhook URL is a credential: it is not logged (httpx's request lines are
redacted while the alerter runs) and errors name only the HTTP status.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from pydantic import SecretStr

from leadsync_tui.clients.retry import RetryPolicy
from leadsync_tui.config import AlertsSettings
from leadsync_tui.models import ConflictSeverity, ResolutionStatus, SyncDirection, utc_now
from leadsync_tui.store.error_groups import classify
from leadsync_tui.sync.engine import SyncEngine

logger = logging.getLogger(__name__)

CHECK_EVERY = 5.0
"""Seconds between two looks at what is wrong."""

UPSTREAMS = {
    SyncDirection.DOMIQ_TO_RESMAN.value: "ResMan",
    SyncDirection.RESMAN_TO_DOMIQ.value: "DomIQ",
}
"""The system an attempt of each direction wrote to."""


def span(seconds: float) -> str:
    """`45 s`, `2 min`, `1 h 05 min`: a duration as a message says it."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


@dataclass(frozen=True)
class _Failure:
    at: float
    upstream: str
    conversation_id: str
    reason: str


class AlertRules:
    """What is wrong now: one short text per active condition, keyed by condition."""

    def __init__(self, settings: AlertsSettings, *, feed: bool) -> None:
        self._settings = settings
        self._feed = feed
        self._failures: deque[_Failure] = deque()
        self._down_since: float | None = None
        self._down_since_wall: datetime | None = None
        self._foreign: str | None = None

    def observe(self, event: dict[str, Any], at: float, wall: datetime) -> None:
        """A journal event, seen at monotonic time `at` (wall clock `wall`)."""
        kind = event.get("event")
        if kind == "attempt" and event.get("status") == "failed":
            upstream = UPSTREAMS.get(str(event.get("direction")))
            if upstream is not None:
                reason = classify(event.get("error")).value
                self._failures.append(
                    _Failure(at, upstream, str(event.get("conversation_id")), reason)
                )
        elif kind == "feed" and event.get("connected") is False:
            self._feed_down(at, wall)
        elif kind == "another_deployment":
            self._foreign = str(event.get("message"))
        elif kind == "another_deployment_cleared":
            self._foreign = None

    def current(
        self,
        now: float,
        wall: datetime,
        *,
        parked: int,
        open_conflicts: list[tuple[ConflictSeverity, ResolutionStatus]],
        connected: bool,
        last_ping: datetime | None,
    ) -> dict[str, str]:
        """Condition key -> what to say while it lasts."""
        active = self._failed(now)
        if self._foreign is not None:
            active["another_deployment"] = f"{self._foreign}; sending stopped"
        if parked:
            active["parked"] = (
                f"{_plural(parked, 'lead', 'leads')} stopped syncing after repeated failures "
                "and wait for a person (`leadsync status` lists them; fix the cause, then "
                "retry them)"
            )
        if open_conflicts:
            active["conflicts"] = _conflicts_text(open_conflicts)
        down = self._feed_down_for(now, wall, connected, last_ping)
        if down is not None and down >= self._settings.feed_down_after:
            active["feed"] = f"DomIQ live feed down for {span(down)}"
        return active

    def _failed(self, now: float) -> dict[str, str]:
        window = self._settings.window
        while self._failures and self._failures[0].at < now - window:
            self._failures.popleft()
        found: dict[str, str] = {}
        for upstream in sorted({f.upstream for f in self._failures}):
            mine = [f for f in self._failures if f.upstream == upstream]
            leads = len({f.conversation_id for f in mine})
            reason = Counter(f.reason for f in mine).most_common(1)[0][0]
            found[f"failed:{upstream}"] = (
                f"{_plural(leads, 'lead', 'leads')} failed to sync to {upstream} in the last "
                f"{span(window)} — top reason: {reason}"
            )
        return found

    def _feed_down(self, at: float, wall: datetime) -> None:
        if self._down_since is None:
            self._down_since, self._down_since_wall = at, wall

    def _feed_down_for(
        self, now: float, wall: datetime, connected: bool, last_ping: datetime | None
    ) -> float | None:
        """Seconds the feed has been down: from the first drop until it is connected
        and has delivered a frame again (a feed that reconnects and drops at once is
        still down)."""
        if not self._feed:
            return None
        if not connected:
            self._feed_down(now, wall)
        elif self._down_since is not None:
            since = self._down_since_wall
            if last_ping is not None and since is not None and last_ping > since:
                self._down_since = self._down_since_wall = None
        return None if self._down_since is None else now - self._down_since

    def feed_down_since(self) -> float | None:
        return self._down_since


def _conflicts_text(conflicts: list[tuple[ConflictSeverity, ResolutionStatus]]) -> str:
    total = len(conflicts)
    manager = sum(
        1
        for severity, status in conflicts
        if severity is ConflictSeverity.HIGH or status is ResolutionStatus.ESCALATED
    )
    if manager == total:
        return f"{_plural(total, 'conflict needs', 'conflicts need')} a manager"
    text = f"{_plural(total, 'conflict needs', 'conflicts need')} a decision"
    return text + (f" ({manager} of them a manager's)" if manager else "")


RECOVERED = {
    "parked": "no lead waits for a person after failing",
    "conflicts": "no conflict waits for a decision",
    "another_deployment": "this leadsync sends again (a person cleared the second deployment)",
}


def recovered_text(key: str, said: str, down_for: float | None) -> str:
    """The line that says a condition is over."""
    if key.startswith("failed:"):
        return f"recovered: leads sync to {key.split(':', 1)[1]} again"
    if key == "feed":
        after = f" (down {span(down_for)})" if down_for is not None else ""
        return f"recovered: DomIQ live feed is back{after}"
    return f"recovered: {RECOVERED.get(key, said)}"


class WebhookError(Exception):
    """A post that did not land; the message names the status, never the URL."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class _HideUrl(logging.Filter):
    """httpx logs each request's URL at INFO: the webhook's must not reach a log."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self._url = url

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._url in message:
            record.msg = message.replace(self._url, "<[alerts] webhook_url>")
            record.args = None
        return True


class WebhookPoster:
    """Posts `{"text": ...}` to the webhook, retrying 5xx, 429 and network failures."""

    def __init__(
        self,
        url: SecretStr,
        *,
        retry: RetryPolicy | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._url = url
        self._retry = retry or RetryPolicy(
            attempts=4, total_seconds=60.0, initial_wait=1.0, max_wait=15.0
        )
        self._timeout = timeout

    async def post(self, text: str) -> bool:
        """True when the webhook took the message."""
        hide = _HideUrl(self._url.get_secret_value())
        httpx_logger = logging.getLogger("httpx")
        httpx_logger.addFilter(hide)
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as http:

                async def attempt() -> None:  # a coroutine function: tenacity awaits it
                    await self._once(http, text)

                await self._retry.run(
                    attempt, retry_if=lambda e: isinstance(e, WebhookError) and e.retryable
                )
        except WebhookError as exc:
            logger.warning("could not post an alert: %s", exc)
            return False
        finally:
            httpx_logger.removeFilter(hide)
        return True

    async def _once(self, http: httpx.AsyncClient, text: str) -> None:
        try:
            response = await http.post(self._url.get_secret_value(), json={"text": text})
        except httpx.HTTPError as exc:
            raise WebhookError(
                f"could not reach the alert webhook ({type(exc).__name__})", retryable=True
            ) from None
        status = response.status_code
        if status >= 500 or status == 429:
            raise WebhookError(f"the alert webhook answered HTTP {status}", retryable=True)
        if status >= 300:
            raise WebhookError(
                f"the alert webhook refused the message (HTTP {status}); check [alerts] "
                "webhook_url",
                retryable=False,
            )


class Alerter:
    """Watches the engine and posts a message when what is wrong changes."""

    def __init__(
        self,
        engine: SyncEngine,
        settings: AlertsSettings,
        *,
        poster: WebhookPoster | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = utc_now,
    ) -> None:
        assert settings.webhook_url is not None
        self._engine = engine
        self._settings = settings
        self._poster = poster or WebhookPoster(settings.webhook_url)
        self._clock = clock
        self._wall = wall
        self.rules = AlertRules(settings, feed=engine.watcher is not None)
        self.announced: dict[str, str] = {}
        """What the receiver was last told is wrong."""
        self._last_post: float | None = None
        self._down_for: float | None = None
        self.posted: list[str] = []
        """Every message that landed (for `status`-like reporting and tests)."""

    def observe(self, event: dict[str, Any]) -> None:
        """A journal listener."""
        self.rules.observe(event, self._clock(), self._wall())

    async def check(self) -> None:
        """Compare what is wrong with what was said; post the difference if allowed."""
        now = self._clock()
        state = self._engine.store.state
        current = self.rules.current(
            now,
            self._wall(),
            parked=(await self._engine.db.outbox_counts()).failed,
            open_conflicts=[
                (c.conflict_severity, c.resolution_status) for c in state.open_conflicts
            ],
            connected=state.real_time_connected,
            last_ping=state.last_ping,
        )
        down_since = self.rules.feed_down_since()
        if down_since is not None:
            self._down_for = now - down_since
        if current.keys() == self.announced.keys():
            return
        if self._last_post is not None and now - self._last_post < self._settings.min_interval:
            return  # said at the next check after the interval, with whatever came since
        lines = [text for key, text in current.items() if key not in self.announced]
        lines += [
            recovered_text(key, said, self._down_for)
            for key, said in self.announced.items()
            if key not in current
        ]
        text = "\n".join(lines)
        self._last_post = now
        if await self._poster.post(text):
            self.announced = current
            self.posted.append(text)

    async def run(self, check_every: float = CHECK_EVERY) -> None:
        """Check until cancelled; a failing check is logged, never the engine's end.
        Only the holder of the sync lease speaks: every watching window (and a waiting
        `sync --headless`) reads the same store and would post the same alert."""
        while True:
            try:
                if self._engine.lease.held or await self._engine.lease.holder() is None:
                    await self.check()
            except Exception:
                logger.exception("alert check failed")
            await asyncio.sleep(check_every)


@contextlib.asynccontextmanager
async def run_alerts(
    engine: SyncEngine,
    settings: AlertsSettings,
    *,
    poster: WebhookPoster | None = None,
    check_every: float = CHECK_EVERY,
) -> AsyncIterator[Alerter]:
    """Alert about `engine` while the block runs."""
    alerter = Alerter(engine, settings, poster=poster)
    stop_listening = engine.journal.listen(alerter.observe)
    task = asyncio.create_task(alerter.run(check_every), name="leadsync-alerts")
    try:
        yield alerter
    finally:
        stop_listening()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
