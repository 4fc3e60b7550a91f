"""The dashboard: where `leadsync` opens. Leads, their sync status, and the filter box."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, Input

from leadsync_tui.messages import StoreChanged
from leadsync_tui.models import utc_now
from leadsync_tui.store.changes import LeadsChanged
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.widgets import LeadsTable


class DashboardScreen(Screen[None]):
    """Leads, their sync status, conflicts and health at a glance."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("M", "toggle_mask", "Mask PII"),
        Binding("escape", "close_filter", "Close filter", show=False),
    ]

    def __init__(
        self,
        store: LeadSyncStore,
        *,
        clock: Callable[[], datetime] = utc_now,
        mask_pii: bool = False,
    ) -> None:
        super().__init__()
        self.store = store
        self._clock = clock
        self._mask_pii = mask_pii

    def compose(self) -> ComposeResult:
        yield Header()
        yield LeadsTable(
            self.store.state.leads.values(), clock=self._clock, mask_pii=self._mask_pii
        )
        yield Input(placeholder="filter: any column (enter keeps it, esc clears)", id="filter")
        yield Footer()

    @property
    def table(self) -> LeadsTable:
        return self.query_one(LeadsTable)

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.table.focus()

    def on_store_changed(self, message: StoreChanged) -> None:
        keys: set[str] = set()
        for change in message.changes:
            if isinstance(change, LeadsChanged):
                keys |= change.keys
        if keys:
            leads = self.store.state.leads
            with self.app.batch_update():
                self.table.upsert(leads[key] for key in keys if key in leads)

    @on(LeadsTable.FilterRequested)
    def open_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.value = self.table.filter_text
        box.focus()

    @on(Input.Changed, "#filter")
    def filter_as_you_type(self, event: Input.Changed) -> None:
        self.table.set_filter(event.value)

    @on(Input.Submitted, "#filter")
    def keep_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = bool(box.value)
        self.table.focus()

    def action_close_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.table.focus()

    def action_toggle_mask(self) -> None:
        self.table.mask_pii = not self.table.mask_pii
        state = "on" if self.table.mask_pii else "off"
        self.notify(f"PII masking {state}", timeout=2)
