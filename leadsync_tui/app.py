"""The Textual application: bindings, themes, screens; built by `make_app`.

The app holds no sync logic: it renders the store's state and dispatches the user's
actions to it. The CLI and the tests both build it through `make_app`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events
from textual.app import App, SystemCommand
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import HelpPanel, Static

from leadsync_tui.config import Settings
from leadsync_tui.engine_seat import EngineSeat
from leadsync_tui.header_line import header_line, header_room
from leadsync_tui.key_order import KeyOrder
from leadsync_tui.logging_setup import log_file_note
from leadsync_tui.messages import StoreChanged
from leadsync_tui.models import ConflictSeverity, LeadSyncConflict, utc_now
from leadsync_tui.quit_flow import QuitFlow
from leadsync_tui.readable_theme import readable_variables
from leadsync_tui.roles import Permission, Role, allows, default_actor, refusal, role_for
from leadsync_tui.screens.dashboard import DashboardScreen
from leadsync_tui.store.changes import Change
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.ui_work import (
    action_label,
    crash_notice,
    report_failure,
    run_ui_work,
    stale_request,
)

if TYPE_CHECKING:
    # Types only: the engine is built by the composition root (`wiring`) and handed in.
    from leadsync_tui.sync.lead_desk import LeadDesk
    from leadsync_tui.wiring import EngineSetup

crash_logger = logging.getLogger("leadsync_tui.ui")


class LeadSyncApp(App[int]):
    """leadsync's terminal control room."""

    CSS_PATH = "app.tcss"
    TITLE = "leadsync"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("question_mark", "toggle_help", "Help"),
        Binding("ctrl+t", "toggle_theme", "Theme", show=False),
        Binding("ctrl+e", "take_over", "Take over the engine"),
    ]

    LIGHT_THEME = "textual-light"
    DARK_THEME = "textual-dark"

    def __init__(
        self,
        settings: Settings,
        *,
        store: LeadSyncStore | None = None,
        engine: EngineSetup | None = None,
        read_only: bool = False,
        mask_pii: bool = False,
        theme: str = "textual-dark",
        clock: Callable[[], datetime] = utc_now,
        live_timers: bool = True,
        actor: str | None = None,
        desk: LeadDesk | None = None,
        watch_only: bool = False,
    ) -> None:
        super().__init__()
        self.live_timers = live_timers
        """False in snapshot tests: no clock-driven refreshes (ages, metrics)."""
        self.settings = settings
        shown = engine.engine.store if engine is not None else store
        if shown is None:
            raise TypeError("make_app needs a store or an engine (wiring.open_engine)")
        self.store: LeadSyncStore = shown
        """What the screens show: the engine's store, or a fixture's (no engine)."""
        self.actor = actor or default_actor()
        """Who the audit log names for this session's decisions (default: `$USER`)."""
        self.role = role_for(settings, self.actor, read_only=read_only)
        """What this user may do (`[roles]` in the config; `--read-only` forces viewer)."""
        self.read_only = self.role is Role.VIEWER
        self.mask_pii = mask_pii
        self.clock = clock
        self._initial_theme = theme
        self._access = ("", "")
        """The role and user in the header, in full and short."""
        self._masked_shown = False
        self._engine_note = ("", "")
        """Who runs the engine (this window, or the holder it watches), in full and short."""
        self.engine_setup = engine
        """The engine (and demo simulators) this window runs or watches with, built by
        the composition root (`wiring.open_engine`); None with a fixture store."""
        self.desk = engine.desk if engine is not None else desk
        """DomIQ and ResMan for the screens' own calls; None when the app has no
        systems to talk to (a fixture store): those screens then say so."""
        self.seat = (
            None
            if engine is None
            else EngineSeat(engine.engine, self.store, self, clock, watch_only=watch_only)
        )
        """Runs or watches the engine for this window (`engine_seat`)."""
        self.key_order = KeyOrder(self)
        """Keys of a burst handled one after the other (`key_order`)."""
        self.quit_flow = QuitFlow(self)
        """Quitting lets the writes in flight finish first (`quit_flow`)."""

    async def on_event(self, event: events.Event) -> None:
        """A key from the terminal waits for the one before it to be handled."""
        if (
            isinstance(event, events.Key)
            and not event.is_forwarded
            and not self.key_order.admit(event)
        ):
            return
        await super().on_event(event)

    async def on_mount(self) -> None:
        self.theme = self._initial_theme
        self._access = (
            ("read-only", "read-only")
            if self.read_only
            else (f"{self.role.value} ({self.actor})", self.role.value)
        )
        self.show_masking(self.mask_pii)
        self.store.subscribe(self._on_store_changes)
        watch = None
        if self.engine_setup is not None:
            from leadsync_tui.store.change_watch import watch_for

            # Marked before the leads load: what others commit meanwhile is read after.
            watch = watch_for(self.store.db)
            await watch.start()
        await self.push_screen(DashboardScreen())  # it reads the session (`screens.session`)
        if self.engine_setup is not None:
            # The leads load after the dashboard is up (a chunk at a time, with progress
            # on its status line); the engine waits for the last chunk before it starts.
            run_ui_work(
                self,
                self.store.load_leads_progressively(),
                name="load-leads",
                group="load",
                description="Loading the leads",
            )
        if watch is not None:
            from leadsync_tui.store.change_watch import follow

            run_ui_work(
                self,
                follow(self.store, watch),
                name="follow-store",
                group="follow",
                description="Following the shared store",
            )
        if self.seat is not None:
            run_ui_work(
                self,
                self.seat.run(),
                name="sync-engine",
                group="sync",
                description="The sync engine",
            )

    def seat_notice(self, text: str, *, warning: bool = False) -> None:
        if warning:
            self.notify(text, title="Sync engine", severity="warning", timeout=6)
        else:
            self.notify(text, timeout=5)

    @property
    def watching(self) -> bool:
        """True while another engine holds the lease (or `watch_only`): this window shows
        the store and says in its header who runs the engine."""
        return self.seat is not None and self.seat.watching

    def seat_watching(self, watching: bool) -> None:
        self.refresh_bindings()

    def seat_note(self, note: str, short: str = "") -> None:
        self._engine_note = (note, short or note)
        self._show_header()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`ctrl+e` (take over the engine) exists only in a window that watches."""
        if action == "take_over":
            return self.watching
        return True

    def action_take_over(self) -> None:
        """`ctrl+e` in a watching window: take the sync lease now, without waiting for
        the automatic takeover (in a `--watch-only` window, the only way); refused with
        the holder named while its engine is alive."""
        if self.seat is not None and self.seat.watching:
            self.seat.take_over()

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
        self._masked_shown = masked
        self._show_header()

    def _show_header(self) -> None:
        """The session, the masked marker, and who runs the engine: toggling one never
        drops another, and the engine's holder stays readable at 80 columns."""
        self.sub_title = header_line(
            self.size.width,
            mode="demo" if self.settings.is_demo else "live",
            access=self._access,
            masked=self._masked_shown,
            engine=self._engine_note,
        )

    def on_resize(self) -> None:
        """What fits changed: the line is chosen again, and every header redrawn (even
        when the line is the same, whether "leadsync —" fits before it may not be)."""
        self._show_header()
        self.mutate_reactive(App.sub_title)

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

    @property
    def property_names(self) -> dict[str, str]:
        """DomIQ property id -> the property's name (`[resman.properties.<id>] name`; the
        demo's simulators name theirs), from the settings the systems run with."""
        settings = self.desk.settings if self.desk is not None else self.settings
        return settings.resman.property_names

    def get_css_variables(self) -> dict[str, str]:
        """The theme's variables, with every text colour readable on its backgrounds."""
        variables = super().get_css_variables()
        variables.update(readable_variables(variables, dark=self.current_theme.dark))
        self.theme_variables = variables
        return variables

    def format_title(self, title: str, sub_title: str) -> Content:
        """ "leadsync — demo · operator (dana)": Textual dims the sub-title, which falls
        below 4.5:1 on the light theme's header; here it is plain."""
        full = f"{title} — {sub_title}" if sub_title else title
        return Content(full if len(full) <= header_room(self.size.width) else sub_title)

    def action_toggle_theme(self) -> None:
        """`ctrl+t`: light for a sunny room or a projector, dark otherwise."""
        self.theme = self.DARK_THEME if self.theme == self.LIGHT_THEME else self.LIGHT_THEME
        self.notify(f"Theme: {self.theme}", timeout=2)

    def action_toggle_help(self) -> None:
        """`?`: every binding of the focused screen, beside it (and `?` again hides it)."""
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
            return
        self.action_show_help_panel()
        for panel in self.screen.query(HelpPanel):
            panel.mount(Static(log_file_note(), id="help-log", markup=False), before=0)

    def _on_store_changes(self, changes: Sequence[Change]) -> None:
        self.post_message(StoreChanged(changes))

    def on_store_changed(self, message: StoreChanged) -> None:
        """Hand store notifications to our screens; each knows what it shows."""
        for screen in self.screen_stack[1:]:
            screen.post_message(StoreChanged(message.changes))

    async def _dispatch_action(self, namespace: DOMNode, action_name: str, params: Any) -> bool:
        """Every action (a key, the palette, a click) runs like UI work: a failure is
        reported (`ui_work.report_failure`), never allowed to end the app."""
        try:
            return await super()._dispatch_action(namespace, action_name, params)
        except Exception as error:
            report_failure(namespace, action_label(action_name), error)
            return True

    def pop_screen(self) -> AwaitComplete:
        """Close the screen in front, unless the request is stale: keys typed together
        all reach a screen before it closes (two `enter`s in the palette, two `escape`s
        in a dialog), and Textual's `dismiss` pops whatever is in front, so the second
        one closed the dashboard and left a blank app. The dashboard never closes, and
        a screen no longer in front closes nothing."""
        front = self.screen
        if isinstance(front, DashboardScreen) or stale_request(self, front):
            crash_logger.debug("ignored a request to close %s", type(front).__name__)
            nothing: AwaitComplete = AwaitComplete.nothing()  # type: ignore[no-untyped-call]
            return nothing
        return super().pop_screen()

    def _handle_exception(self, error: Exception) -> None:
        """The last resort (an exception escaped a message handler; workers and screen
        callbacks never get here, see `ui_work`): Textual ends the app, as the handler's
        widget is dead; the traceback goes to the log file, never to the terminal."""
        if self._exit or self._closing:
            # Keys typed just before quitting reach widgets already torn down: nothing
            # the user asked for is lost by ignoring them while the app closes.
            crash_logger.debug("ignored while closing: %r", error)
            return
        crash_logger.critical("leadsync stopped on an internal error", exc_info=error)
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        """Textual's crash output is a traceback with its local variables (customers'
        names, emails, phones): one line pointing at the log instead."""
        self.bell()
        self._exit_renderables.append(Text(crash_notice(), no_wrap=False))
        self._close_messages_no_wait()

    async def action_quit(self) -> None:
        """`ctrl+q`: with writes in flight, say so and let them finish (at most
        `quit_flow.SHUTDOWN_GRACE_S`) while the screen is still up; then exit."""
        self.quit_flow.request()

    async def on_unmount(self) -> None:
        """Finish or cancel the writes in flight, then stop every worker and close the
        database: nothing may write to it once it is closed."""
        self.key_order.stop()
        await self.quit_flow.finish_writes()
        workers = list(self.workers)
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*(worker.wait() for worker in workers), return_exceptions=True)


def make_app(
    settings: Settings,
    *,
    store: LeadSyncStore | None = None,
    engine: EngineSetup | None = None,
    read_only: bool = False,
    mask_pii: bool = False,
    theme: str = "textual-dark",
    clock: Callable[[], datetime] = utc_now,
    live_timers: bool = True,
    actor: str | None = None,
    desk: LeadDesk | None = None,
    watch_only: bool = False,
) -> LeadSyncApp:
    """Build the app with its collaborators; the one way the CLI and tests make it.

    `engine` (from `wiring.open_engine(..., progressive=True)`, see `commands.tui.open_tui`)
    gives a window that runs or watches the sync; `store` alone (fixtures, snapshots)
    one that shows it without systems to talk to."""
    return LeadSyncApp(
        settings,
        store=store,
        engine=engine,
        read_only=read_only,
        mask_pii=mask_pii,
        theme=theme,
        clock=clock,
        live_timers=live_timers,
        actor=actor,
        desk=desk,
        watch_only=watch_only,
    )
