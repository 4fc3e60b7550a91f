"""`LeadSyncLogViewer` (spec: `LeadSyncLogViewer`): rows, order, states, refresh, keyed diff."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from rich.text import Text
from textual.app import App, ComposeResult
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Static

from leadsync_tui.models import (
    AttemptStatus,
    LeadSyncLog,
    Resolution,
    SyncDirection,
    SyncType,
)
from leadsync_tui.widgets.sync_log_viewer import LeadSyncLogViewer

NOW = datetime(2026, 11, 2, 15, 0, 0, tzinfo=UTC)
CONVERSATION = "conv_001"


def frozen_clock() -> datetime:
    return NOW


def log(
    log_id: str,
    age: timedelta,
    status: AttemptStatus = AttemptStatus.SUCCESS,
    *,
    direction: SyncDirection = SyncDirection.DOMIQ_TO_RESMAN,
    sync_type: SyncType = SyncType.UPDATE,
    error: str | None = None,
    resolution: Resolution | None = None,
) -> LeadSyncLog:
    return LeadSyncLog(
        id=log_id,
        conversation_id=CONVERSATION,
        sync_direction=direction,
        sync_status=status,
        sync_type=sync_type,
        created_at=NOW - age,
        error_message=error,
        conflict_resolution=resolution,
    )


def sample_logs() -> list[LeadSyncLog]:
    """Five attempts, given oldest first: every status, direction and type, one resolution."""
    return [
        log("log_01", timedelta(days=1, hours=2), sync_type=SyncType.CREATE),
        log(
            "log_02",
            timedelta(minutes=47),
            AttemptStatus.FAILED,
            error="ResMan <Status>Error</Status>: AgentID 17 is not an employee of "
            "prop_oakridge; add it to the agent map or pick another default agent",
        ),
        log(
            "log_03",
            timedelta(minutes=30),
            AttemptStatus.CONFLICT,
            direction=SyncDirection.RESMAN_TO_DOMIQ,
        ),
        log(
            "log_04",
            timedelta(minutes=12),
            sync_type=SyncType.RESOLUTION,
            resolution=Resolution.DOMIQ_WINS,
        ),
        log(
            "log_05",
            timedelta(seconds=40),
            direction=SyncDirection.RESMAN_TO_DOMIQ,
            sync_type=SyncType.STATUS,
        ),
    ]


def displayed(widget: Widget) -> bool:
    """`widget.display`, read through a call so mypy does not narrow it between steps."""
    return widget.display


class ViewerApp(App[None]):
    def __init__(self, viewer: LeadSyncLogViewer) -> None:
        super().__init__()
        self.viewer = viewer
        self.requests: list[Message] = []

    def compose(self) -> ComposeResult:
        yield self.viewer

    def on_mount(self) -> None:
        self.viewer.table.focus()

    def on_lead_sync_log_viewer_refresh_requested(
        self, message: LeadSyncLogViewer.RefreshRequested
    ) -> None:
        self.requests.append(message)


def viewer(logs: list[LeadSyncLog] | None = None, **options: Any) -> LeadSyncLogViewer:
    return LeadSyncLogViewer(
        CONVERSATION, sample_logs() if logs is None else logs, clock=frozen_clock, **options
    )


def screen_text(app: App[None]) -> str:
    """What the screen shows, as text (from the SVG screenshot)."""
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def row_text(table: DataTable[object], key: str) -> list[str]:
    return [str(getattr(cell, "plain", getattr(cell, "text", cell))) for cell in table.get_row(key)]


async def test_rows_are_newest_first_with_every_column() -> None:
    widget = viewer()
    async with ViewerApp(widget).run_test(size=(120, 24)):
        assert widget.row_keys == ["log_05", "log_04", "log_03", "log_02", "log_01"]
        table = widget.table
        assert [str(column.label) for column in table.ordered_columns] == [
            "Time (UTC)",
            "Direction",
            "Type",
            "Status",
            "Resolution",
            "Error",
        ]
        assert row_text(table, "log_05") == [
            "14:59:20",
            "ResMan → DomIQ",
            "status",
            "✔ success",
            "",
            "",
        ]
        assert row_text(table, "log_04")[3:5] == ["✔ success", "DomIQ wins"]
        assert row_text(table, "log_03")[3] == "▲ conflict"
        failed = row_text(table, "log_02")
        assert failed[3] == "✖ failed"
        assert failed[5].startswith("ResMan <Status>Error</Status>: AgentID")
        assert failed[5].endswith("…")  # long errors are cut in the cell
        assert row_text(table, "log_01")[0] == "11-01 13:00"  # not today: date, no seconds


async def test_status_cells_have_distinct_colours() -> None:
    widget = viewer()
    async with ViewerApp(widget).run_test():
        styles = {
            str(cast(Text, widget.table.get_cell(key, "status")).style)
            for key in ("log_01", "log_02", "log_03")
        }
        assert len(styles) == 3


async def test_title_and_detail_line() -> None:
    widget = viewer()
    app = ViewerApp(widget)
    async with app.run_test() as pilot:
        title = widget.query_one("#log-title", Static)
        assert str(title.render()) == "Sync log · conv_001 · 5 attempts"
        detail = widget.query_one("#log-detail", Static)
        assert str(detail.render()) == "log_05 · 2026-11-02T14:59:20Z"
        await pilot.press("down", "down", "down")
        await pilot.pause()
        shown = str(detail.render())
        assert shown.startswith("log_02 · 2026-11-02T14:13:00Z · ResMan <Status>Error")
        assert shown.endswith("pick another default agent")  # the whole error


async def test_empty_state() -> None:
    widget = viewer([])
    async with ViewerApp(widget).run_test() as pilot:
        empty = widget.query_one("#log-empty", Static)
        assert displayed(empty) is True
        assert str(empty.render()) == "No sync attempts yet"
        assert displayed(widget.table) is False
        widget.logs = sample_logs()
        await pilot.pause()
        assert displayed(empty) is False
        assert displayed(widget.table) is True


async def test_loading_covers_with_a_static_message_and_blocks_refresh() -> None:
    widget = viewer(loading=True)
    app = ViewerApp(widget)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert "⟳ Loading sync log…" in screen_text(app)
        assert "log_05" not in screen_text(app)
        await pilot.press("r")
        widget.action_refresh()
        await pilot.pause()
        assert app.requests == []
        widget.loading = False
        await pilot.pause()
        assert "Loading" not in screen_text(app)
        assert "log_05" in screen_text(app)


async def test_r_posts_refresh_requested_with_the_conversation() -> None:
    widget = viewer()
    app = ViewerApp(widget)
    async with app.run_test() as pilot:
        await pilot.press("r")
        await pilot.pause()
        assert len(app.requests) == 1
        request = app.requests[0]
        assert isinstance(request, LeadSyncLogViewer.RefreshRequested)
        assert request.conversation_id == CONVERSATION
        assert request.control is widget


async def test_new_logs_are_applied_by_diff_not_rebuilt() -> None:
    widget = viewer()
    async with ViewerApp(widget).run_test() as pilot:
        table = widget.table
        calls: list[str] = []
        for name in ("clear", "add_row", "remove_row", "update_cell"):
            original = getattr(table, name)

            def spy(*args: Any, _name: str = name, _original: Any = original, **kw: Any) -> Any:
                calls.append(_name)
                return _original(*args, **kw)

            setattr(table, name, spy)
        logs = sample_logs()
        logs[1] = logs[1].model_copy(update={"sync_status": AttemptStatus.SUCCESS})
        del logs[2]  # log_03 gone
        logs.append(log("log_06", timedelta(seconds=1), AttemptStatus.FAILED, error="timeout"))
        widget.logs = logs
        await pilot.pause()
        assert sorted(calls) == ["add_row", "remove_row", "update_cell"]  # log_02's status
        assert widget.row_keys == ["log_06", "log_05", "log_04", "log_02", "log_01"]
        assert row_text(table, "log_02")[3] == "✔ success"


async def test_the_highlighted_attempt_stays_highlighted_when_rows_arrive() -> None:
    widget = viewer()
    async with ViewerApp(widget).run_test() as pilot:
        await pilot.press("down", "down")  # log_03
        await pilot.pause()
        widget.logs = [*sample_logs(), log("log_06", timedelta(seconds=1))]
        await pilot.pause()
        table = widget.table
        assert widget.row_keys[table.cursor_row] == "log_03"


async def test_another_conversation_replaces_the_rows() -> None:
    widget = viewer()
    async with ViewerApp(widget).run_test() as pilot:
        other = [log("log_99", timedelta(minutes=1)).model_copy(update={"conversation_id": "c2"})]
        widget.conversation_id = "c2"
        widget.logs = other
        await pilot.pause()
        assert widget.row_keys == ["log_99"]
        assert str(widget.query_one("#log-title", Static).render()) == "Sync log · c2 · 1 attempt"


async def test_hostile_error_text_is_plain_and_clean() -> None:
    evil = "[bold red]boom[/] \x1b[2J\x00\n\u202eright-to-left " + "A" * 10_000
    widget = viewer([log("log_x", timedelta(minutes=1), AttemptStatus.FAILED, error=evil)])
    async with ViewerApp(widget).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        cell = row_text(widget.table, "log_x")[5]
        assert cell.startswith("[bold red]boom[/] right-to-left AAA")
        assert len(cell) == 40
        detail = str(widget.query_one("#log-detail", Static).render())
        assert all(char.isprintable() for char in detail)
        assert widget.query_one("#log-detail").size.height <= 3
