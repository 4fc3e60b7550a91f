"""`RealTimeSyncIndicator`: the live feed's health in one fixed-width line for the header.

Spec: `RealTimeSyncIndicator { connected, lastPing, onReconnect }`. `on_reconnect` becomes
the message `RealTimeSyncIndicator.ReconnectRequested`, posted on a click or when the app
calls `action_reconnect` (its own key binding). The widget never reconnects anything.

Each state has its own glyph and word, so it reads without colour:

    ● live · ping 3s ago                      (success)
    ◌ stale · ping 42s ago                    (warning: connected, heartbeats missing)
    ○ offline · retry 2 · last ping 1m ago    (error)

The width is fixed so the header never reflows as the age ticks; the age is redrawn once
a second by a timer that tests pause (`clock_running = False`) or make moot (frozen clock).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from textual import events
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.style import Style
from textual.timer import Timer
from textual.widget import Widget

from leadsync_tui.models import utc_now
from leadsync_tui.widgets.age import format_age

DEFAULT_STALE_AFTER = 15.0
"""Seconds without a ping before a connected feed reads "stale": DomIQ sends a heartbeat
every 5 s (`docs/domiq-api.md`), so this is three missed heartbeats."""


class FeedState(StrEnum):
    """What the indicator shows; also the suffix of its component class."""

    LIVE = "live"
    STALE = "stale"
    OFFLINE = "offline"


_GLYPHS = {FeedState.LIVE: "●", FeedState.STALE: "◌", FeedState.OFFLINE: "○"}


class RealTimeSyncIndicator(Widget):
    """Connected / stale / offline, age of the last ping, and reconnect attempts.

    Click it to ask for a reconnect.
    """

    COMPONENT_CLASSES = {
        "realtime-sync-indicator--live",
        "realtime-sync-indicator--stale",
        "realtime-sync-indicator--offline",
        "realtime-sync-indicator--detail",
    }
    """
    | Class | Styles |
    | :- | :- |
    | `realtime-sync-indicator--<state>` | Glyph and word for live / stale / offline |
    | `realtime-sync-indicator--detail` | Retry count and ping age |
    """

    DEFAULT_CSS = """
    RealTimeSyncIndicator {
        width: 40;
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        & > .realtime-sync-indicator--live { color: $text-success; }
        & > .realtime-sync-indicator--stale { color: $text-warning; text-style: bold; }
        & > .realtime-sync-indicator--offline { color: $text-error; text-style: bold; }
        & > .realtime-sync-indicator--detail { color: $text-muted; }
        &:hover { background: $boost; }
    }
    """

    connected: reactive[bool] = reactive(False)
    """Whether the live feed is connected (spec: `connected`)."""
    last_ping: reactive[datetime | None] = reactive(None)
    """When the feed last heard from DomIQ (spec: `lastPing`); None reads "never"."""
    reconnect_attempts: reactive[int] = reactive(0)
    """Reconnects tried since the feed was last connected; shown while offline."""
    clock_running: reactive[bool] = reactive(True, init=False)
    """Whether the once-a-second age refresh runs (tests turn it off)."""

    class ReconnectRequested(Message):
        """The user asked to reconnect the live feed (spec: `onReconnect`)."""

        def __init__(self, indicator: RealTimeSyncIndicator) -> None:
            super().__init__()
            self.indicator = indicator
            self.connected = indicator.connected
            """Whether the feed was connected when asked (a forced reconnect)."""

        @property
        def control(self) -> RealTimeSyncIndicator:
            return self.indicator

    def __init__(
        self,
        connected: bool = False,
        last_ping: datetime | None = None,
        *,
        reconnect_attempts: int = 0,
        clock: Callable[[], datetime] = utc_now,
        clock_running: bool = True,
        stale_after: float = DEFAULT_STALE_AFTER,
        refresh_interval: float = 1.0,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """`clock` gives "now" for the age; `stale_after` and `refresh_interval` are seconds."""
        super().__init__(name=name, id=id, classes=classes)
        self.clock = clock
        self.stale_after = stale_after
        self.refresh_interval = refresh_interval
        self._timer: Timer | None = None
        self.set_reactive(RealTimeSyncIndicator.connected, connected)
        self.set_reactive(RealTimeSyncIndicator.last_ping, last_ping)
        self.set_reactive(RealTimeSyncIndicator.reconnect_attempts, reconnect_attempts)
        self.set_reactive(RealTimeSyncIndicator.clock_running, clock_running)

    def on_mount(self) -> None:
        self._timer = self.set_interval(
            self.refresh_interval, self.refresh, pause=not self.clock_running
        )
        self.tooltip = "Click to reconnect the live feed"

    def watch_clock_running(self, running: bool) -> None:
        if self._timer is None:
            return
        if running:
            self._timer.resume()
        else:
            self._timer.pause()

    @property
    def state(self) -> FeedState:
        """Live, stale (connected but no ping for `stale_after` s) or offline."""
        if not self.connected:
            return FeedState.OFFLINE
        if self.last_ping is None:
            return FeedState.LIVE
        silent = (self.clock() - self.last_ping).total_seconds()
        return FeedState.STALE if silent >= self.stale_after else FeedState.LIVE

    @property
    def label(self) -> str:
        """The text shown, without styles (what a screen reader or a test reads)."""
        return self._content().plain

    def render(self) -> Content:
        return self._content()

    def _content(self) -> Content:
        state = self.state
        detail: list[str] = []
        if state is FeedState.OFFLINE:
            if self.reconnect_attempts:
                detail.append(f"retry {self.reconnect_attempts}")
            detail.append(f"last ping {format_age(self.last_ping, self.clock())}")
        elif self.last_ping is None:
            detail.append("waiting for first ping")
        else:
            detail.append(f"ping {format_age(self.last_ping, self.clock())}")
        return Content.assemble(
            (f"{_GLYPHS[state]} {state.value}", self._style(state.value)),
            (" · " + " · ".join(detail), self._style("detail")),
        )

    def _style(self, component: str) -> Style:
        return self.get_visual_style(f"realtime-sync-indicator--{component}")

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.action_reconnect()

    def action_reconnect(self) -> None:
        """Ask the app to reconnect the live feed."""
        self.post_message(self.ReconnectRequested(self))
