"""`LeadSyncStatus`: one lead's ResMan sync status as a one-line badge (spec: `LeadSyncStatus`).

Every status has its own glyph and word as well as its own colour, so the badge still reads
on a monochrome terminal, in a screenshot, or to someone who does not see the colour.
`status_badge` is the single source of that mapping; the leads table draws its Status
column with it too.

The spec's callbacks become messages: `on_retry` -> `LeadSyncStatus.RetryRequested`,
`on_view_log` -> `LeadSyncStatus.ViewLogRequested`. The widget never acts on them itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import NamedTuple

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget

from leadsync_tui.models import SyncStatus, utc_now
from leadsync_tui.widgets.age import format_age


class Badge(NamedTuple):
    """How one status is drawn."""

    glyph: str
    word: str
    css: str
    """Suffix of the component class that colours it (`...--status-<css>`)."""
    fallback: str
    """A Rich colour for places without a theme (plain Rich output)."""


BADGES: Mapping[SyncStatus, Badge] = MappingProxyType(
    {
        SyncStatus.NOT_SYNCED: Badge("○", "not synced", "not-synced", "bright_black"),
        SyncStatus.SYNCING: Badge("◐", "syncing", "syncing", "blue"),
        SyncStatus.SYNCED: Badge("●", "synced", "synced", "green"),
        SyncStatus.FAILED: Badge("✖", "failed", "failed", "red"),
        SyncStatus.CONFLICT: Badge("▲", "conflict", "conflict", "yellow"),
    }
)
"""Glyph, word and colour per status; glyphs are all one cell wide."""

BADGE_WIDTH = max(len(f"{b.glyph} {b.word}") for b in BADGES.values())
"""Cells the widest badge needs ("○ not synced")."""


def status_badge(status: SyncStatus | str, style: Style | None = None) -> Text:
    """`status` as glyph + word, e.g. `● synced`, styled with `style` or the fallback colour.

    Widgets pass the style they resolved from the theme (`$success`, `$error`, ...); the
    fallback keeps the function usable in plain Rich output.
    """
    badge = BADGES[SyncStatus(status)]
    # A span, not the Text's base style: text appended later must not inherit it.
    return Text.assemble((f"{badge.glyph} {badge.word}", style or badge.fallback), end="")


def status_component(status: SyncStatus | str, prefix: str) -> str:
    """The component class that colours `status` in a widget: `<prefix>--status-<css>`."""
    return f"{prefix}--status-{BADGES[SyncStatus(status)].css}"


_RETRYABLE = frozenset({SyncStatus.FAILED, SyncStatus.NOT_SYNCED})
"""Statuses for which a retry means something (a conflict needs a decision instead)."""


class LeadSyncStatus(Widget, can_focus=True):
    """Badge, age of the last sync, and retry / log actions for one lead.

    | Key | Action |
    | :- | :- |
    | r | Ask for a retry (failed or not-synced leads) |
    | l, enter | Ask to see the lead's sync log |

    Clicking "retry" or "log" does the same. Colours are the theme's text variants
    (`$text-success`, ...): "syncing" is `$text-primary`, since the built-in themes give
    `$accent` the same orange as `$warning`.
    """

    BINDINGS = [
        Binding("r", "retry", "Retry"),
        Binding("l", "view_log", "Sync log"),
        Binding("enter", "view_log", "Sync log", show=False),
    ]

    COMPONENT_CLASSES = {
        "lead-sync-status--status-not-synced",
        "lead-sync-status--status-syncing",
        "lead-sync-status--status-synced",
        "lead-sync-status--status-failed",
        "lead-sync-status--status-conflict",
        "lead-sync-status--age",
        "lead-sync-status--action",
    }

    DEFAULT_CSS = """
    LeadSyncStatus {
        width: auto;
        height: 1;
        & > .lead-sync-status--status-not-synced { color: $text-muted; }
        & > .lead-sync-status--status-syncing { color: $text-primary; }
        & > .lead-sync-status--status-synced { color: $text-success; }
        & > .lead-sync-status--status-failed { color: $text-error; text-style: bold; }
        & > .lead-sync-status--status-conflict { color: $text-warning; text-style: bold; }
        & > .lead-sync-status--age { color: $text-muted; }
        & > .lead-sync-status--action { color: $text-accent; text-style: underline; }
        &:focus { background-tint: $foreground 5%; }
    }
    """

    resman_sync_status: reactive[SyncStatus] = reactive(SyncStatus.NOT_SYNCED)
    """The lead's `resman_sync_status`."""
    last_sync_at: reactive[datetime | None] = reactive(None)
    """When both sides last agreed; None reads "never"."""
    show_actions: reactive[bool] = reactive(True)
    """Show the clickable "retry" / "log" words after the age."""

    class _Request(Message):
        """Base of the two requests: which widget asked, for which lead."""

        def __init__(self, status_widget: LeadSyncStatus) -> None:
            super().__init__()
            self.status_widget = status_widget
            self.conversation_id = status_widget.conversation_id
            """The lead concerned, if the widget was given one."""

        @property
        def control(self) -> LeadSyncStatus:
            return self.status_widget

    class RetryRequested(_Request):
        """The user asked to retry this lead's sync (spec: `onRetry`)."""

    class ViewLogRequested(_Request):
        """The user asked for this lead's sync log (spec: `onViewLog`)."""

    def __init__(
        self,
        resman_sync_status: SyncStatus = SyncStatus.NOT_SYNCED,
        last_sync_at: datetime | None = None,
        *,
        conversation_id: str | None = None,
        clock: Callable[[], datetime] = utc_now,
        age_refresh: float | None = 1.0,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """`clock` gives "now" for the age; `age_refresh` is how often (s) it is redrawn."""
        super().__init__(name=name, id=id, classes=classes)
        self.conversation_id = conversation_id
        self.clock = clock
        self._age_refresh = age_refresh
        self._age_timer: Timer | None = None
        self.set_reactive(LeadSyncStatus.resman_sync_status, SyncStatus(resman_sync_status))
        self.set_reactive(LeadSyncStatus.last_sync_at, last_sync_at)

    def on_mount(self) -> None:
        if self._age_refresh:
            self._age_timer = self.set_interval(self._age_refresh, self.refresh)

    @property
    def can_retry(self) -> bool:
        """Whether a retry is offered for the current status."""
        return self.resman_sync_status in _RETRYABLE

    def render(self) -> Text:
        status = self.resman_sync_status
        text = status_badge(status, self._style(status_component(status, "lead-sync-status")))
        text.append(f"  {format_age(self.last_sync_at, self.clock())}", self._style("age"))
        if self.show_actions:
            action = self._style("action")
            if self.can_retry:
                text.append("  ")
                text.append("retry", action + _click("retry"))
            text.append("  ")
            text.append("log", action + _click("view_log"))
        return text

    def _style(self, component: str) -> Style:
        """A theme-resolved Rich style for one of this widget's component classes."""
        if not component.startswith("lead-sync-status--"):
            component = f"lead-sync-status--{component}"
        return self.get_visual_style(component).rich_style

    def action_retry(self) -> None:
        if self.can_retry:
            self.post_message(self.RetryRequested(self))

    def action_view_log(self) -> None:
        self.post_message(self.ViewLogRequested(self))


def _click(action: str) -> Style:
    """Meta that makes Textual run `action` on this widget when the text is clicked."""
    return Style.from_meta({"@click": action})
