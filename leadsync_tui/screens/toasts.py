"""`Toaster`: at most one toast per kind on screen, and none over a dialog.

Every conflict used to raise two toasts, and twenty at start covered the table's Status,
Last sync and Prospect ID columns and half the new-lead form. Here a toast of a kind
(its title) replaces the one of the same kind still showing, so the screen holds one
per kind with the latest count; and while a dialog is in front, notes wait (the newest
per kind) until it closes. (Toasts raised while a dialog is in front, such as the
decision toast of a triage round, sit at the top on dialogs: see `app.tcss`.)

Every toast goes out through `App.notify`, the one way the app raises a notification:
whatever watches it (the flow tests' record of what the user saw) sees these too.
Notes of one turn of the event loop are posted together on the next, after the app has
taken in the toasts posted before: only then is the toast a note replaces on screen.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.screen import ModalScreen, Screen

from leadsync_tui.screens.alerts import Note

TOAST_SECONDS = 6.0


class Toaster:
    """Shows the notes of one screen (the dashboard's alerts) under the rules above."""

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._due: dict[str, Note] = {}
        """Notes to post on the next turn (newest per kind)."""
        self._held: dict[str, Note] = {}
        """Notes waiting for the dialog in front to close (newest per kind)."""
        app.screen_change_signal.subscribe(app, self._screen_changed)

    def show(self, note: Note) -> None:
        """Show `note`, replacing its kind's toast; hold it while a dialog is in front."""
        if self._dialog_in_front():
            self._held[note.title] = note
            return
        if not self._due:
            self._app.call_later(self._post_due)
        self._due[note.title] = note

    def _dialog_in_front(self) -> bool:
        return isinstance(self._app.screen, ModalScreen)

    def _post_due(self) -> None:
        due, self._due = self._due, {}
        if self._dialog_in_front():  # one opened in between
            self._held.update(due)
            return
        for note in due.values():
            self._withdraw(note.title)
            self._app.notify(
                note.message,
                title=note.title,
                severity=note.severity,
                timeout=TOAST_SECONDS,
                markup=False,
            )

    def _withdraw(self, title: str) -> None:
        """Take down the toasts of this kind still showing (the new one replaces them)."""
        # Textual has no public "withdraw one toast"; `_unnotify` is what a toast's own
        # timeout calls. The `Notify` posted next refreshes the screen's toasts.
        for shown in list(self._app._notifications):
            if shown.title == title:
                self._app._unnotify(shown, refresh=False)

    def _screen_changed(self, screen: Screen[Any]) -> None:
        if isinstance(screen, ModalScreen) or not self._held:
            return
        held, self._held = self._held, {}
        for note in held.values():
            self.show(note)
