"""What a screen may ask of the session it runs in: the one way screens get collaborators.

Screens read the store, the desk (DomIQ and ResMan for their own calls), the clock, the
actor and the role's permissions from the app, through this protocol and nothing else;
they never import the app (which imports the dashboard) nor cast to it. The app is built
before its engine (the store arrives in `on_mount`), and the watching state changes while
it runs, so a screen asks when it needs to rather than being handed a snapshot.
Modals are the exception on purpose: they get plain values and callbacks from their
opener, so they run in any host (the tests host them in a bare `App`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from textual.app import App
from textual.screen import Screen

from leadsync_tui.models import ConflictSeverity, LeadSyncConflict
from leadsync_tui.roles import Permission, Role
from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.lead_desk import LeadDesk


@runtime_checkable
class Session(Protocol):
    """The running app as its screens see it (`LeadSyncApp` is the one implementation)."""

    store: LeadSyncStore
    desk: LeadDesk | None
    clock: Callable[[], datetime]
    actor: str
    role: Role
    read_only: bool
    mask_pii: bool
    live_timers: bool

    @property
    def watching(self) -> bool: ...

    @property
    def property_names(self) -> dict[str, str]: ...

    def may(self, permission: Permission, severity: ConflictSeverity | None = None) -> bool: ...

    def refuse_unless(
        self, permission: Permission, severity: ConflictSeverity | None = None
    ) -> bool: ...

    def conflict_refusal(self, conflict: LeadSyncConflict) -> str: ...

    def show_masking(self, masked: bool) -> None: ...


def session_of(app: App[Any]) -> Session:
    """`app` as a `Session`; a screen pushed on another app is a programming error."""
    if not isinstance(app, Session):
        raise TypeError(f"{type(app).__name__} is not a leadsync session")
    return app


if TYPE_CHECKING:  # mypy checks that the app is a session; nothing imports it at run time
    from leadsync_tui.app import LeadSyncApp

    def _the_app_is_a_session(app: LeadSyncApp) -> Session:
        return app


class SessionScreen(Screen[None]):
    """A full screen of the session: its collaborators come from `session`."""

    _session: Session | None = None

    @property
    def session(self) -> Session:
        """The app this screen runs in (read once: a screen never changes app)."""
        if self._session is None:
            self._session = session_of(self.app)
        return self._session

    @property
    def store(self) -> LeadSyncStore:
        """The session's store."""
        return self.session.store
