"""`RealTimeSyncIndicator` (spec: `RealTimeSyncIndicator`): states, ticking age, reconnect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.app import App, ComposeResult
from textual.content import Content
from textual.message import Message

from leadsync_tui.widgets.realtime_indicator import FeedState, RealTimeSyncIndicator
from tests.waiting import eventually

NOW = datetime(2026, 11, 2, 15, 0, 0, tzinfo=UTC)


def frozen_clock() -> datetime:
    return NOW


class IndicatorApp(App[None]):
    def __init__(self, indicator: RealTimeSyncIndicator) -> None:
        super().__init__()
        self.indicator = indicator
        self.requests: list[Message] = []

    def compose(self) -> ComposeResult:
        yield self.indicator

    def on_real_time_sync_indicator_reconnect_requested(
        self, message: RealTimeSyncIndicator.ReconnectRequested
    ) -> None:
        self.requests.append(message)


def indicator(**options: object) -> RealTimeSyncIndicator:
    options.setdefault("clock", frozen_clock)
    options.setdefault("clock_running", False)
    return RealTimeSyncIndicator(**options)  # type: ignore[arg-type]


async def test_connected_shows_live_and_ping_age() -> None:
    widget = indicator(connected=True, last_ping=NOW - timedelta(seconds=3))
    async with IndicatorApp(widget).run_test():
        assert widget.label == "● live · ping 3s ago"
        assert widget.state is FeedState.LIVE


async def test_offline_shows_retries_and_last_ping() -> None:
    widget = indicator(last_ping=NOW - timedelta(seconds=75), reconnect_attempts=2)
    async with IndicatorApp(widget).run_test():
        assert widget.label == "○ offline · retry 2 · last ping 1m ago"


async def test_offline_without_retries_or_ping() -> None:
    widget = indicator()
    async with IndicatorApp(widget).run_test():
        assert widget.label == "○ offline · last ping never"


async def test_connected_before_any_ping() -> None:
    widget = indicator(connected=True)
    async with IndicatorApp(widget).run_test():
        assert widget.label == "● live · waiting for first ping"


async def test_connected_but_silent_reads_stale() -> None:
    widget = indicator(connected=True, last_ping=NOW - timedelta(seconds=42))
    async with IndicatorApp(widget).run_test():
        assert widget.label == "◌ stale · ping 42s ago"
        widget.stale_after = 60
        assert widget.label == "● live · ping 42s ago"


async def test_each_prop_changes_what_is_shown() -> None:
    widget = indicator(connected=True, last_ping=NOW - timedelta(seconds=3))
    async with IndicatorApp(widget).run_test() as pilot:
        widget.connected = False
        widget.reconnect_attempts = 4
        await pilot.pause()
        assert widget.label == "○ offline · retry 4 · last ping 3s ago"
        widget.last_ping = NOW - timedelta(hours=2)
        widget.connected = True
        await pilot.pause()
        assert widget.label == "◌ stale · ping 2h ago"


async def test_states_read_without_colour() -> None:
    """Glyph and word differ per state, and each state has its own colour."""
    async with IndicatorApp(indicator()).run_test() as pilot:
        widget = pilot.app.query_one(RealTimeSyncIndicator)
        seen: dict[str, object] = {}
        for connected, age in ((True, 1), (True, 60), (False, 1)):
            widget.connected = connected
            widget.last_ping = NOW - timedelta(seconds=age)
            await pilot.pause()
            content = widget.render()
            seen[content.plain.split(" · ")[0]] = content.spans[0].style
        assert list(seen) == ["● live", "◌ stale", "○ offline"]
        assert len(set(map(str, seen.values()))) == 3


async def test_width_is_fixed_whatever_the_text() -> None:
    widget = indicator(connected=True, last_ping=NOW)
    async with IndicatorApp(widget).run_test(size=(80, 24)) as pilot:
        widths = {widget.size.width}
        widget.connected = False
        widget.reconnect_attempts = 123456
        widget.last_ping = NOW - timedelta(days=400)
        await pilot.pause()
        widths.add(widget.size.width)
        assert widths == {40}
        assert widget.size.height == 1


async def test_age_ticks_while_the_clock_runs_and_stops_when_paused() -> None:
    now = [NOW]
    widget = RealTimeSyncIndicator(
        True, NOW, clock=lambda: now[0], refresh_interval=0.02, clock_running=True
    )
    async with IndicatorApp(widget).run_test() as pilot:
        renders: list[str] = []
        original = widget.render

        def counting_render() -> Content:
            content = original()
            renders.append(content.plain)
            return content

        widget.render = counting_render  # type: ignore[method-assign]
        now[0] = NOW + timedelta(seconds=5)
        await eventually(lambda: "● live · ping 5s ago" in renders)
        widget.clock_running = False
        await pilot.pause()
        renders.clear()
        await pilot.pause(0.15)
        assert renders == []
        widget.clock_running = True
        await eventually(lambda: bool(renders))


async def test_click_posts_reconnect_requested() -> None:
    widget = indicator(last_ping=NOW - timedelta(seconds=30), reconnect_attempts=1)
    app = IndicatorApp(widget)
    async with app.run_test() as pilot:
        await pilot.click(RealTimeSyncIndicator)
        await pilot.pause()
        assert len(app.requests) == 1
        request = app.requests[0]
        assert isinstance(request, RealTimeSyncIndicator.ReconnectRequested)
        assert request.control is widget
        assert request.connected is False


async def test_app_action_posts_reconnect_requested() -> None:
    widget = indicator(connected=True, last_ping=NOW)
    app = IndicatorApp(widget)
    async with app.run_test() as pilot:
        widget.action_reconnect()
        await pilot.pause()
        assert [type(m) for m in app.requests] == [RealTimeSyncIndicator.ReconnectRequested]
        request = app.requests[0]
        assert isinstance(request, RealTimeSyncIndicator.ReconnectRequested)
        assert request.connected is True
