"""The metrics screen (`m` on the dashboard): sync health large, its session history, and
this session's failures grouped by type.

Six cards (success rate, average and p95 latency, conflict rate, failed, pending), each a
big number over a sparkline of the whole session (`MetricsHistory`, shared with the
dashboard's `SyncMetricsWidget`, so the trend starts when the session did, not when this
screen opened). Below, the error groups (`store.error_groups`): choosing one (`enter` or a
click) goes back to the dashboard with its table filtered to exactly the leads that group
hit; `esc` goes back unfiltered. Everything follows the store while open.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar
from weakref import WeakKeyDictionary

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Digits, Header, Input, Label, OptionList, Sparkline, Static
from textual.widgets.option_list import Option

from leadsync_tui.messages import StoreChanged
from leadsync_tui.models import SyncMetrics, utc_now
from leadsync_tui.store.changes import DriftProgress, LeadsChanged, LogsChanged, MetricsChanged
from leadsync_tui.store.error_groups import ErrorGroup
from leadsync_tui.store.metrics_history import MetricsHistory
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.ui_work import ui_work
from leadsync_tui.widgets.drift_note import DriftScanNote
from leadsync_tui.widgets.key_footer import KeyFooter
from leadsync_tui.widgets.leads_table import LeadsTable
from leadsync_tui.widgets.sync_error_alert import clean_text

ERRORS_RELOAD_S = 1.0
"""New failures reload the error groups at most this often (one SQLite read each)."""
TALL_HEIGHT = 40
"""From this terminal height on, the cards get tall sparklines."""
EXAMPLE_LENGTH = 150


@dataclass(frozen=True)
class _Card:
    """One metric: its card's id and title, how to read it, how to print it big."""

    key: str
    title: str
    read: Callable[[SyncMetrics], float]
    show: Callable[[float], str]
    worst: Callable[[Sequence[float]], float] = max
    """Which sample of a sparkline bucket stands for it: the worst one."""


def _percent(value: float) -> str:
    return f"{value * 100:.1f}"


def _millis(value: float) -> str:
    return f"{value:,.0f}" if value < 100_000 else f"{value / 1000:,.0f}s"


def _count(value: float) -> str:
    return f"{value:,.0f}"


CARDS: tuple[_Card, ...] = (
    _Card("success", "success rate %", lambda m: m.sync_success_rate, _percent, worst=min),
    _Card("avg", "avg latency ms", lambda m: m.avg_sync_latency, _millis),
    _Card("p95", "p95 latency ms", lambda m: m.p95_sync_latency, _millis),
    _Card("conflicts", "conflict rate %", lambda m: m.conflict_rate, _percent),
    _Card("failed", "failed (parked)", lambda m: float(m.failed_syncs), _count),
    _Card("pending", "pending queue", lambda m: float(m.pending_queue), _count),
)


def _ago(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


_PLACEHOLDERS: WeakKeyDictionary[Input, str] = WeakKeyDictionary()
"""The filter box's own placeholder while it shows an error group's instead."""


def group_label(group: ErrorGroup) -> str:
    """How the dashboard names a chosen group in its filter line."""
    leads = len(group.conversation_ids)
    return f"errors: {group.label} · {leads} lead{'s' if leads != 1 else ''}"


def show_error_group(table: LeadsTable, box: Input, group: ErrorGroup) -> None:
    """Filter the dashboard's table to the group's leads and say so in its filter box."""
    label = group_label(group)
    table.filter_to_keys(group.conversation_ids, label)
    _PLACEHOLDERS.setdefault(box, box.placeholder)
    box.placeholder = f"{label} — type to narrow, esc clears"
    box.display = True
    table.focus()


def clear_error_group(table: LeadsTable, box: Input) -> None:
    """Undo `show_error_group` (the text filter is the box's own business)."""
    table.clear_key_filter()
    placeholder = _PLACEHOLDERS.pop(box, None)
    if placeholder is not None:
        box.placeholder = placeholder


class MetricCard(Vertical):
    """A metric's title, its value in big digits, and its session sparkline."""

    def __init__(self, card: _Card) -> None:
        super().__init__(id=f"card-{card.key}", classes="metric-card")
        self.card = card

    def compose(self) -> ComposeResult:
        yield Label(self.card.title, classes="metric-title")
        yield Digits("-", classes="metric-value")
        yield Sparkline([], summary_function=self.card.worst, classes="metric-spark")

    def show(self, metrics: SyncMetrics | None, history: MetricsHistory) -> None:
        digits = self.query_one(Digits)
        if metrics is None:
            digits.update("-")
        else:
            digits.update(self.card.show(self.card.read(metrics)))
        self.set_class(
            metrics is not None and self.card.key == "failed" and metrics.failed_syncs > 0,
            "-alert",
        )
        # One sample would draw a full block: a trend needs two.
        trend = history.values(self.card.read) if len(history) > 1 else []
        self.query_one(Sparkline).data = trend


class MetricsScreen(Screen[ErrorGroup | None]):
    """Sync metrics large, their history over the session, and errors grouped by type.

    Dismisses with the chosen `ErrorGroup` (`enter`), or None (`esc`).
    """

    CSS_PATH = "metrics_screen.tcss"
    TITLE = "Sync metrics"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("enter", "choose", "Show their leads", priority=True),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(
        self,
        store: LeadSyncStore,
        history: MetricsHistory,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """`history` is the session's (the dashboard widget's); `clock` stamps new samples."""
        super().__init__()
        self.store = store
        self.history = history
        self._clock = clock
        self.groups: list[ErrorGroup] = []
        self.errors_loaded = False
        """True once the error groups were read at least once (tests wait on it)."""
        self._reload_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Grid(id="cards"):
            for card in CARDS:
                yield MetricCard(card)
        yield Static(id="history-line")
        yield DriftScanNote(self.store.drift_progress, agreement=True, id="drift-line")
        with Vertical(id="errors"):
            yield Label("Errors this session, by type", id="errors-title")
            yield OptionList(id="error-groups")
            yield Static("Loading errors…", id="no-errors")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = "history over the session · errors by type"
        self.query_one("#error-groups", OptionList).display = False
        self._fit_to(self.app.size.height)
        self._show_metrics()
        self.load_errors()

    def on_resize(self) -> None:
        self._fit_to(self.size.height)

    def _fit_to(self, height: int) -> None:
        self.set_class(height >= TALL_HEIGHT, "-tall")

    # ------------------------------------------------------------ metrics

    def _has_data(self) -> bool:
        """False while nothing was ever attempted or queued (all samples are defaults)."""
        empty = SyncMetrics()
        return any(point.metrics != empty for point in self.history) or (
            self.store.state.metrics != empty
        )

    def _show_metrics(self) -> None:
        current = self.store.state.metrics
        self.history.record(current, self._clock())
        has_data = self._has_data()
        for card in self.query(MetricCard):
            card.show(current if has_data else None, self.history)
        self.query_one("#history-line", Static).update(self._history_text(has_data))

    def _history_text(self, has_data: bool) -> Content:
        if not has_data:
            return Content.from_markup(
                "[b]No sync metrics yet[/b]: the numbers appear after the first sync attempt."
            )
        samples = len(self.history)
        plural = "" if samples == 1 else "s"
        return Content(
            f"Session trend: {samples} sample{plural} over {_ago(self.history.span())}"
            " · bars show the worst of each stretch"
        )

    # ------------------------------------------------------------ errors

    @ui_work(exclusive=True, group="error-groups", description="Reading the error groups")
    async def load_errors(self) -> None:
        """Read the failures since the session started, and every parked item."""
        since = self.history.started_at or self._clock()
        groups = await self.store.error_groups(since)
        self._show_groups(groups)

    def _show_groups(self, groups: list[ErrorGroup]) -> None:
        self.groups = groups
        self.errors_loaded = True
        self.refresh_bindings()
        listing = self.query_one("#error-groups", OptionList)
        empty = self.query_one("#no-errors", Static)
        listing.display = bool(groups)
        empty.display = not groups
        if not groups:
            empty.update("No errors this session.")
            return
        highlighted = listing.highlighted_option
        keep = highlighted.id if highlighted is not None else None
        listing.set_options(Option(self._group_prompt(g), id=g.kind.name) for g in groups)
        ids = [g.kind.name for g in groups]
        listing.highlighted = ids.index(keep) if keep in ids else 0
        self.query_one("#errors-title", Label).update(
            f"Errors this session, by type ({len(groups)}) — enter shows their leads"
        )

    def _group_prompt(self, group: ErrorGroup) -> Content:
        leads = len(group.conversation_ids)
        counts = f"{group.attempts} failed attempt{'s' if group.attempts != 1 else ''}"
        if group.parked:
            counts += f", {group.parked} parked"
        return Content.assemble(
            (f"{group.label:<28}", "bold"),
            f" {counts} · {leads} lead{'s' if leads != 1 else ''}\n",
            (f"  {clean_text(group.example, EXAMPLE_LENGTH) or '(no message)'}", "italic"),
        )

    def _reload_errors_soon(self) -> None:
        if self._reload_timer is None:
            self._reload_timer = self.set_timer(ERRORS_RELOAD_S, self._reload_now)

    def _reload_now(self) -> None:
        self._reload_timer = None
        self.load_errors()

    # ------------------------------------------------------------ store -> screen

    def on_store_changed(self, message: StoreChanged) -> None:
        reload_errors = False
        for change in message.changes:
            match change:
                case MetricsChanged():
                    self._show_metrics()
                case DriftProgress():
                    self.query_one(DriftScanNote).progress = change
                case LogsChanged() | LeadsChanged():
                    reload_errors = True
                case _:
                    pass
        if reload_errors:
            self._reload_errors_soon()

    # ------------------------------------------------------------ actions

    @on(OptionList.OptionSelected, "#error-groups")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._dismiss_with(event.option_index)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`enter` is offered only when there is a group to choose."""
        if action == "choose":
            return bool(self.groups)
        return True

    def action_choose(self) -> None:
        listing = self.query_one("#error-groups", OptionList)
        if listing.display and listing.highlighted is not None:
            self._dismiss_with(listing.highlighted)

    def _dismiss_with(self, index: int) -> None:
        if 0 <= index < len(self.groups):
            self.dismiss(self.groups[index])

    def action_back(self) -> None:
        self.dismiss(None)

    async def action_refresh(self) -> None:
        await self.store.refresh_metrics()
        self.load_errors()
