"""The Textual application: bindings, themes, screens; built by `make_app`.

The app holds no sync logic: it renders the store's state and dispatches the user's
actions to it. The CLI and the tests both build it through `make_app`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual.app import App
from textual.binding import Binding

from leadsync_tui.config import Settings
from leadsync_tui.models import utc_now
from leadsync_tui.screens.dashboard import DashboardScreen


class LeadSyncApp(App[int]):
    """leadsync's terminal control room."""

    CSS_PATH = "app.tcss"
    TITLE = "leadsync"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(
        self,
        settings: Settings,
        *,
        read_only: bool = False,
        mask_pii: bool = False,
        theme: str = "textual-dark",
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.read_only = read_only
        self.mask_pii = mask_pii
        self.clock = clock
        self._initial_theme = theme

    def on_mount(self) -> None:
        self.theme = self._initial_theme
        mode = "demo" if self.settings.is_demo else "live"
        self.sub_title = f"{mode}{' · read-only' if self.read_only else ''}"
        self.push_screen(DashboardScreen())


def make_app(
    settings: Settings,
    *,
    read_only: bool = False,
    mask_pii: bool = False,
    theme: str = "textual-dark",
    clock: Callable[[], datetime] = utc_now,
) -> LeadSyncApp:
    """Build the app with its collaborators; the one way the CLI and tests make it."""
    return LeadSyncApp(settings, read_only=read_only, mask_pii=mask_pii, theme=theme, clock=clock)
