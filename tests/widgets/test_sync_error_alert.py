"""`SyncErrorAlert` (spec: `SyncErrorAlert`): text, retry / close, and hostile input."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from textual.app import App, ComposeResult
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button

from leadsync_tui.widgets.sync_error_alert import MAX_ERROR_LENGTH, SyncErrorAlert, clean_text

ERROR = "ResMan rejected the prospect: AgentID 17 is not an employee of prop_oakridge"


def hostile_error(size: int = 10 * 1024) -> str:
    """A pasted stack trace gone wrong: ANSI, controls, bidi, markup, zalgo, newlines."""
    chunk = (
        'Traceback \x1b[31m(most recent call last)\x1b[0m:\n\tFile "x.py", line 1\r\n'
        "\x00\x07\x08 \u202eevil\u202c \u200b[bold red]markup[/] [link=http://x]l[/link] "
        "Z\u0301\u0302\u0303\u0304\u0305algo \x1b]0;title\x07 "
    )
    return (chunk * (size // len(chunk) + 1))[:size]


def displayed(widget: Widget) -> bool:
    """`widget.display`, read through a call so mypy does not narrow it between steps."""
    return widget.display


class AlertApp(App[None]):
    def __init__(self, alert: SyncErrorAlert) -> None:
        super().__init__()
        self.alert = alert
        self.requests: list[Message] = []

    def compose(self) -> ComposeResult:
        yield Button("elsewhere")
        yield self.alert

    def on_sync_error_alert_retry_requested(self, message: SyncErrorAlert.RetryRequested) -> None:
        self.requests.append(message)

    def on_sync_error_alert_closed(self, message: SyncErrorAlert.Closed) -> None:
        self.requests.append(message)


def kinds(app: AlertApp) -> list[str]:
    return [type(message).__name__ for message in app.requests]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("plain", "plain"),
        ("  many \n\n lines\tand\ttabs  ", "many lines and tabs"),
        ("\x1b[31mred\x1b[0m", "red"),
        ("a\x00b\x07c\x7fd", "abcd"),
        ("\u202eevil\u202c \u200bzero", "evil zero"),
        ("[bold]not markup[/]", "[bold]not markup[/]"),
        ("Z" + "\u0301" * 50, "Z\u0301\u0301"),
    ],
)
def test_clean_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


def test_clean_text_caps_with_an_ellipsis() -> None:
    assert clean_text("x" * 20, 10) == "x" * 9 + "…"
    assert clean_text("x" * 10, 10) == "x" * 10


def test_clean_text_of_a_huge_string_is_bounded() -> None:
    cleaned = clean_text(hostile_error(10 * 1024 * 1024))
    assert len(cleaned) == MAX_ERROR_LENGTH
    assert cleaned.endswith("…")
    assert all(char.isprintable() for char in cleaned)


async def test_shows_the_error_with_glyph_and_close() -> None:
    alert = SyncErrorAlert(ERROR)
    async with AlertApp(alert).run_test(size=(120, 24)):
        line = alert.render().plain
        assert line.startswith(f"✖ {ERROR}")
        assert line.rstrip().endswith("✕")
        assert "Retry" not in line
        assert alert.size.height == 1


async def test_empty_error_hides_and_setting_one_shows() -> None:
    alert = SyncErrorAlert()
    async with AlertApp(alert).run_test() as pilot:
        assert displayed(alert) is False
        alert.error = "DomIQ returned 503"
        await pilot.pause()
        assert displayed(alert) is True
        assert "DomIQ returned 503" in alert.render().plain
        alert.error = ""
        await pilot.pause()
        assert displayed(alert) is False


async def test_retry_is_offered_only_when_retryable() -> None:
    alert = SyncErrorAlert(ERROR)
    app = AlertApp(alert)
    async with app.run_test() as pilot:
        alert.focus()
        await pilot.press("r")
        await pilot.pause()
        assert kinds(app) == []
        alert.retryable = True
        await pilot.pause()
        assert "Retry" in alert.render().plain
        await pilot.press("r")
        await pilot.pause()
        assert kinds(app) == ["RetryRequested"]
        request = app.requests[0]
        assert isinstance(request, SyncErrorAlert.RetryRequested)
        assert request.control is alert
        assert request.error == ERROR


async def test_escape_closes_when_focused_only() -> None:
    alert = SyncErrorAlert(ERROR, retryable=True)
    app = AlertApp(alert)
    async with app.run_test() as pilot:
        app.query_one(Button).focus()
        await pilot.press("escape")
        await pilot.pause()
        assert kinds(app) == []
        alert.focus()
        await pilot.press("escape")
        await pilot.pause()
        assert kinds(app) == ["Closed"]
        assert displayed(alert) is True  # the app decides: clear `error` or remove the alert


@pytest.mark.parametrize(("label", "kind"), [("Retry", "RetryRequested"), ("✕", "Closed")])
async def test_clicking_the_buttons_posts_messages(label: str, kind: str) -> None:
    alert = SyncErrorAlert(ERROR, retryable=True)
    app = AlertApp(alert)
    async with app.run_test(size=(100, 24)) as pilot:
        line = alert.render().plain.split("\n")[0]
        column = line.index(label) + 1  # + left padding
        await pilot.click(SyncErrorAlert, offset=(column, 0))
        await pilot.pause()
        assert kinds(app) == [kind]


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_hostile_10kb_error_stays_within_three_clean_lines(size: tuple[int, int]) -> None:
    alert = SyncErrorAlert(hostile_error(), retryable=True)
    async with AlertApp(alert).run_test(size=size) as pilot:
        await pilot.pause()
        lines = alert.render().plain.split("\n")
        assert alert.size.height == 3
        assert len(lines) == 3
        assert all(cell_len(line) <= alert.size.width for line in lines)
        assert lines[-1].endswith("…")
        assert "[bold red]markup[/]" in "".join(lines)  # shown, not interpreted
        text = "".join(lines)
        assert all(char.isprintable() for char in text)
        assert "\u202e" not in text and "\x1b" not in text
        assert alert.region.width == size[0]


async def test_max_lines_can_shrink_the_bar() -> None:
    alert = SyncErrorAlert(hostile_error())
    async with AlertApp(alert).run_test() as pilot:
        alert.max_lines = 1
        await pilot.pause()
        assert alert.size.height == 1
        assert alert.render().plain.rstrip().endswith("✕")
