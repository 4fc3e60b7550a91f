"""`ToastDesk`: at most one toast per kind on screen, and none over a dialog.

Every conflict used to raise two toasts, and twenty at start covered the table's Status,
Last sync and Prospect ID columns and half the new-lead form. Here a toast of a kind
(its title) replaces the one of the same kind still showing, so the screen holds one
per kind with the latest count; and while a dialog is in front, notes wait (the newest
per kind) until it closes, so a toast never covers a dialog's buttons.
"""

from __future__ import annotations

import contextlib
from typing import Any

from textual.app import App
from textual.notifications import Notification, Notify
from textual.screen import ModalScreen, Screen

from leadsync_tui.screens.alerts import Note

TOAST_SECONDS = 6.0


class ToastDesk:
    """Shows the notes of one screen (the dashboard's alerts) under the rules above."""

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._shown: dict[str, Notification] = {}
        self._held: dict[str, Note] = {}
        app.screen_change_signal.subscribe(app, self._screen_changed)

    def show(self, note: Note) -> None:
        """Show `note`, replacing its kind's toast; hold it while a dialog is in front."""
        if isinstance(self._app.screen, ModalScreen):
            self._held[note.title] = note
            return
        old = self._shown.pop(note.title, None)
        if old is not None:
            # Textual has no public "withdraw one toast"; this is what its toast's own
            # timeout calls. Already gone (expired) is fine.
            with contextlib.suppress(KeyError):
                self._app._unnotify(old)
        toast = Notification(note.message, note.title, note.severity, TOAST_SECONDS)
        self._shown[note.title] = toast
        self._app.post_message(Notify(toast))

    def _screen_changed(self, screen: Screen[Any]) -> None:
        if isinstance(screen, ModalScreen) or not self._held:
            return
        held, self._held = self._held, {}
        for note in held.values():
            self.show(note)
