"""The Textual application: bindings, themes, screens; built by `make_app`.

The app holds no sync logic: it renders the store's state and dispatches the user's
actions to it. The CLI and the tests both build it through `make_app`.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from leadsync_tui.config import Settings
from leadsync_tui.messages import StoreChanged
from leadsync_tui.models import utc_now
from leadsync_tui.screens.dashboard import DashboardScreen
from leadsync_tui.store.changes import Change
from leadsync_tui.store.db import Database
from leadsync_tui.store.store import LeadSyncStore


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
        store: LeadSyncStore | None = None,
        read_only: bool = False,
        mask_pii: bool = False,
        theme: str = "textual-dark",
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.store = store
        self.read_only = read_only
        self.mask_pii = mask_pii
        self.clock = clock
        self._initial_theme = theme
        self._owned_db: Database | None = None
        self._demo_dir: Path | None = None

    async def on_mount(self) -> None:
        self.theme = self._initial_theme
        mode = "demo" if self.settings.is_demo else "live"
        self.sub_title = f"{mode}{' · read-only' if self.read_only else ''}"
        if self.store is None:
            self.store = await self._open_store()
            await self.store.fetch_leads()
            await self.store.fetch_conflicts()
        self.store.subscribe(self._on_store_changes)
        await self.push_screen(DashboardScreen(self.store))

    async def _open_store(self) -> LeadSyncStore:
        """The store on the configured database; the demo gets a fresh one per run,
        because its simulators are seeded afresh each time."""
        if self.settings.is_demo:
            self._demo_dir = Path(tempfile.mkdtemp(prefix="leadsync-demo-"))
            path = self._demo_dir / "demo.db"
        else:
            path = self.settings.sync.database.expanduser()
            path.parent.mkdir(parents=True, exist_ok=True)
        self._owned_db = await Database.open(path, now=self.clock)
        return LeadSyncStore(self._owned_db, now=self.clock)

    def _on_store_changes(self, changes: Sequence[Change]) -> None:
        self.post_message(StoreChanged(changes))

    def on_store_changed(self, message: StoreChanged) -> None:
        """Hand store notifications to our screens; each knows what it shows."""
        for screen in self.screen_stack[1:]:
            screen.post_message(StoreChanged(message.changes))

    async def on_unmount(self) -> None:
        if self._owned_db is not None:
            await self._owned_db.close()
        if self._demo_dir is not None:
            shutil.rmtree(self._demo_dir, ignore_errors=True)


def make_app(
    settings: Settings,
    *,
    store: LeadSyncStore | None = None,
    read_only: bool = False,
    mask_pii: bool = False,
    theme: str = "textual-dark",
    clock: Callable[[], datetime] = utc_now,
) -> LeadSyncApp:
    """Build the app with its collaborators; the one way the CLI and tests make it."""
    return LeadSyncApp(
        settings, store=store, read_only=read_only, mask_pii=mask_pii, theme=theme, clock=clock
    )
