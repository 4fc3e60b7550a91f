"""The dashboard: where `leadsync` opens."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class DashboardScreen(Screen[None]):
    """Leads, their sync status, conflicts and health at a glance."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("No leads yet: the sync has not run.", id="empty-state")
        yield Footer()
