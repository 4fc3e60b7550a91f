"""The dashboard: where `leadsync` opens."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from leadsync_tui.messages import StoreChanged
from leadsync_tui.store.store import LeadSyncStore


class DashboardScreen(Screen[None]):
    """Leads, their sync status, conflicts and health at a glance."""

    def __init__(self, store: LeadSyncStore) -> None:
        super().__init__()
        self.store = store

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self._summary(), id="empty-state")
        yield Footer()

    def _summary(self) -> str:
        count = len(self.store.state.leads)
        if not count:
            return "No leads yet: the sync has not run."
        return f"{count} leads in the store."

    def on_store_changed(self, message: StoreChanged) -> None:
        self.query_one("#empty-state", Static).update(self._summary())
