"""The Textual application: bindings, themes, screens; built by `make_app`.

The app holds no sync logic: it renders the store's state and dispatches the user's
actions to it. The CLI and the tests both build it through `make_app`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Sequence
from contextlib import AsyncExitStack
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from leadsync_tui.config import Settings
from leadsync_tui.messages import StoreChanged
from leadsync_tui.models import ConflictSeverity, LeadSyncConflict, utc_now
from leadsync_tui.roles import Permission, Role, allows, default_actor, refusal, role_for
from leadsync_tui.screens.dashboard import DashboardScreen
from leadsync_tui.store.changes import Change
from leadsync_tui.store.store import LeadSyncStore

if TYPE_CHECKING:
    # Only an app that builds its own engine needs these (imported in `on_mount`): an app
    # handed a store starts without the engine, the clients and the simulators.
    from leadsync_tui.sync.lead_desk import LeadDesk
    from leadsync_tui.sync.wiring import EngineSetup

SHUTDOWN_GRACE_S = 5.0
"""How long quitting waits for writes in flight before cancelling them (they stay in
the outbox and are sent on the next start)."""


class LeadSyncApp(App[int]):
    """leadsync's terminal control room."""

    CSS_PATH = "app.tcss"
    TITLE = "leadsync"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("question_mark", "toggle_help", "Help"),
        Binding("ctrl+t", "toggle_theme", "Theme", show=False),
    ]

    LIGHT_THEME = "textual-light"
    DARK_THEME = "textual-dark"

    def __init__(
        self,
        settings: Settings,
        *,
        store: LeadSyncStore | None = None,
        read_only: bool = False,
        mask_pii: bool = False,
        theme: str = "textual-dark",
        clock: Callable[[], datetime] = utc_now,
        live_timers: bool = True,
        actor: str | None = None,
        desk: LeadDesk | None = None,
    ) -> None:
        super().__init__()
        self.live_timers = live_timers
        """False in snapshot tests: no clock-driven refreshes (ages, metrics)."""
        self.settings = settings
        self.store = store
        self.actor = actor or default_actor()
        """Who the audit log names for this session's decisions (default: `$USER`)."""
        self.role = role_for(settings, self.actor, read_only=read_only)
        """What this user may do (`[roles]` in the config; `--read-only` forces viewer)."""
        self.read_only = self.role is Role.VIEWER
        self.mask_pii = mask_pii
        self.clock = clock
        self._initial_theme = theme
        self._session_title = ""
        self._stack = AsyncExitStack()
        self.engine_setup: EngineSetup | None = None
        """The running engine (and demo simulators) when the app built its own."""
        self.desk = desk
        """DomIQ and ResMan for the screens' own calls; None when the app has no
        systems to talk to (a fixture store): those screens then say so."""

    async def on_mount(self) -> None:
        self.theme = self._initial_theme
        mode = "demo" if self.settings.is_demo else "live"
        access = "read-only" if self.read_only else f"{self.role.value} ({self.actor})"
        self._session_title = f"{mode} · {access}"
        self.show_masking(self.mask_pii)
        load = False
        if self.store is None:
            from leadsync_tui.sync.wiring import open_engine

            # The leads load after the dashboard is up (a chunk at a time, with progress
            # on its status line); the engine waits for the last chunk before it starts.
            self.engine_setup = await self._stack.enter_async_context(
                open_engine(self.settings, clock=self.clock, progressive=True)
            )
            self.store = self.engine_setup.engine.store
            self.desk = self.engine_setup.desk
            load = True
        self.store.subscribe(self._on_store_changes)
        await self.push_screen(
            DashboardScreen(
                self.store,
                clock=self.clock,
                mask_pii=self.mask_pii,
                live_clock=self.live_timers,
                read_only=self.read_only,
                actor=self.actor,
            )
        )
        if load:
            self.run_worker(
                self.store.load_leads_progressively(),
                name="load-leads",
                group="load",
                description="Loading the leads",
                exit_on_error=False,
            )
        if self.engine_setup is not None:
            self.run_worker(
                self.engine_setup.engine.run(),
                name="sync-engine",
                group="sync",
                description="The sync engine",
                exit_on_error=False,
            )

    # ------------------------------------------------------------ roles

    def may(self, permission: Permission, severity: ConflictSeverity | None = None) -> bool:
        """Whether this session's user may take the action (screens hide what is not)."""
        return allows(self.role, permission, severity)

    def refuse_unless(
        self, permission: Permission, severity: ConflictSeverity | None = None
    ) -> bool:
        """True when allowed; otherwise say why (once, as a warning) and return False.

        Screens call this at the top of every mutating action, so an action reached by a
        path that did not hide it (the palette, a stale binding) is still refused."""
        if self.may(permission, severity):
            return True
        self.notify(
            refusal(self.role, permission, severity), title="Not allowed", severity="warning"
        )
        return False

    def conflict_refusal(self, conflict: LeadSyncConflict) -> str:
        """Why the conflict dialog offers this user no decision ("" when it does)."""
        if self.may(Permission.RESOLVE, conflict.conflict_severity):
            return ""
        if self.read_only:
            return "Read-only session: you can see this conflict, not resolve or escalate it."
        return refusal(self.role, Permission.RESOLVE, conflict.conflict_severity)

    def show_masking(self, masked: bool) -> None:
        """The header says when names, emails and phones are masked (screen sharing)."""
        self.sub_title = self._session_title + (" · ◌ masked" if masked else "")

    # ------------------------------------------------------------ palette, help, theme

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's own commands, then every action of the screen in front (those the
        role allows): a new user finds each action by name."""
        yield from super().get_system_commands(screen)
        commands: Callable[[], Iterable[SystemCommand]] | None = getattr(
            screen, "palette_commands", None
        )
        if commands is not None:
            yield from commands()

    def action_toggle_theme(self) -> None:
        """`ctrl+t`: light for a sunny room or a projector, dark otherwise."""
        self.theme = self.DARK_THEME if self.theme == self.LIGHT_THEME else self.LIGHT_THEME
        self.notify(f"Theme: {self.theme}", timeout=2)

    def action_toggle_help(self) -> None:
        """`?`: every binding of the focused screen, beside it (and `?` again hides it)."""
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def _on_store_changes(self, changes: Sequence[Change]) -> None:
        self.post_message(StoreChanged(changes))

    def on_store_changed(self, message: StoreChanged) -> None:
        """Hand store notifications to our screens; each knows what it shows."""
        for screen in self.screen_stack[1:]:
            screen.post_message(StoreChanged(message.changes))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every worker failure lands here, once: the user is told, the app stays up."""
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self.notify(
                f"{event.worker.description or event.worker.name} stopped: {error}",
                title="Sync error",
                severity="error",
                timeout=10,
            )

    async def on_unmount(self) -> None:
        """Let the engine finish the items in flight (briefly), then close everything."""
        workers = list(self.workers)
        if self.engine_setup is not None:
            await self.engine_setup.engine.stop()
            done = asyncio.gather(*(w.wait() for w in workers), return_exceptions=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done, SHUTDOWN_GRACE_S)
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*(worker.wait() for worker in workers), return_exceptions=True)
        await self._stack.aclose()


def make_app(
    settings: Settings,
    *,
    store: LeadSyncStore | None = None,
    read_only: bool = False,
    mask_pii: bool = False,
    theme: str = "textual-dark",
    clock: Callable[[], datetime] = utc_now,
    live_timers: bool = True,
    actor: str | None = None,
    desk: LeadDesk | None = None,
) -> LeadSyncApp:
    """Build the app with its collaborators; the one way the CLI and tests make it."""
    return LeadSyncApp(
        settings,
        store=store,
        read_only=read_only,
        mask_pii=mask_pii,
        theme=theme,
        clock=clock,
        live_timers=live_timers,
        actor=actor,
        desk=desk,
    )
