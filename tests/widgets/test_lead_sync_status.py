"""`status_badge`, `format_age` and the `LeadSyncStatus` widget (spec: `LeadSyncStatus`)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.app import App, ComposeResult
from textual.message import Message

from leadsync_tui.models import SyncStatus
from leadsync_tui.widgets import BADGES, LeadSyncStatus, format_age, status_badge
from tests.widgets.sample_leads import NOW, frozen_clock


def test_every_status_has_its_own_glyph_word_and_colour() -> None:
    badges = [status_badge(status) for status in SyncStatus]
    assert [badge.plain for badge in badges] == [
        "○ not synced",
        "◐ syncing",
        "● synced",
        "✖ failed",
        "▲ conflict",
    ]
    assert len({badge.plain[0] for badge in badges}) == len(SyncStatus)  # glyph alone tells
    assert len({str(badge.spans[0].style) for badge in badges}) == len(SyncStatus)
    assert status_badge("failed").plain == "✖ failed"  # the raw string value works too
    assert set(BADGES) == set(SyncStatus)


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=0), "just now"),
        (timedelta(seconds=-30), "just now"),  # clock skew
        (timedelta(seconds=12), "12s ago"),
        (timedelta(seconds=59), "59s ago"),
        (timedelta(seconds=90), "1m ago"),
        (timedelta(minutes=5), "5m ago"),
        (timedelta(hours=3, minutes=59), "3h ago"),
        (timedelta(days=2, hours=5), "2d ago"),
        (timedelta(days=400), "400d ago"),
    ],
)
def test_format_age(delta: timedelta, expected: str) -> None:
    assert format_age(NOW - delta, NOW) == expected


def test_format_age_of_nothing_is_never() -> None:
    assert format_age(None, NOW) == "never"


class StatusApp(App[None]):
    def __init__(self, status: SyncStatus, age: timedelta | None) -> None:
        super().__init__()
        self.status = status
        self.age = age
        self.requests: list[Message] = []

    def compose(self) -> ComposeResult:
        last = None if self.age is None else NOW - self.age
        yield LeadSyncStatus(
            self.status, last, conversation_id="conv_001", clock=frozen_clock, age_refresh=None
        )

    def on_mount(self) -> None:
        self.query_one(LeadSyncStatus).focus()

    def on_lead_sync_status_retry_requested(self, message: LeadSyncStatus.RetryRequested) -> None:
        self.requests.append(message)

    def on_lead_sync_status_view_log_requested(
        self, message: LeadSyncStatus.ViewLogRequested
    ) -> None:
        self.requests.append(message)


def shown(app: StatusApp) -> str:
    return str(app.query_one(LeadSyncStatus).render())


async def test_it_shows_the_badge_and_the_age() -> None:
    app = StatusApp(SyncStatus.SYNCED, timedelta(seconds=12))
    async with app.run_test(size=(60, 3)) as pilot:
        assert shown(app) == "● synced  12s ago  log"
        widget = app.query_one(LeadSyncStatus)
        widget.resman_sync_status = SyncStatus.SYNCING
        widget.last_sync_at = None
        await pilot.pause()
        assert shown(app) == "◐ syncing  never  log"
        widget.show_actions = False
        assert shown(app) == "◐ syncing  never"


async def test_r_asks_for_a_retry_only_when_a_retry_makes_sense() -> None:
    app = StatusApp(SyncStatus.FAILED, timedelta(minutes=5))
    async with app.run_test(size=(60, 3)) as pilot:
        assert shown(app) == "✖ failed  5m ago  retry  log"
        await pilot.press("r", "l")
        await pilot.pause()
        assert [type(m) for m in app.requests] == [
            LeadSyncStatus.RetryRequested,
            LeadSyncStatus.ViewLogRequested,
        ]
        assert all(getattr(m, "conversation_id", None) == "conv_001" for m in app.requests)
        app.query_one(LeadSyncStatus).resman_sync_status = SyncStatus.CONFLICT
        app.requests.clear()
        await pilot.press("r", "enter")
        await pilot.pause()
        assert [type(m) for m in app.requests] == [LeadSyncStatus.ViewLogRequested]


async def test_clicking_the_words_posts_the_requests() -> None:
    app = StatusApp(SyncStatus.FAILED, timedelta(minutes=5))
    async with app.run_test(size=(60, 3)) as pilot:
        text = shown(app)
        await pilot.click(LeadSyncStatus, offset=(text.index("retry") + 1, 0))
        await pilot.click(LeadSyncStatus, offset=(text.index("log") + 1, 0))
        await pilot.pause()
        assert [type(m) for m in app.requests] == [
            LeadSyncStatus.RetryRequested,
            LeadSyncStatus.ViewLogRequested,
        ]
