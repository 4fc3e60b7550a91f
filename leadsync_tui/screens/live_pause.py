"""`p` on the dashboard: the table stops following the store while someone reads it.

Changes that arrive meanwhile are kept (the leads' keys, not copies) and counted on the
status line; on resume the table takes them in one batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual.widgets import Label

from leadsync_tui.screens.wording import plural


class LivePause:
    """Whether the table is paused, and the leads changed since; `note` is the label."""

    def __init__(self, note: Callable[[], Label]) -> None:
        self._note = note
        self.paused = False
        self.held: set[str] = set()
        """Leads changed while paused: applied to the table on resume."""

    def hold(self, keys: Iterable[str]) -> None:
        """Keep `keys` for the resume, and count them on the note."""
        self.held.update(keys)
        self.show_note()

    def pause(self) -> None:
        self.paused = True
        self.show_note()

    def resume(self) -> set[str]:
        """Unpause; the leads changed meanwhile (to show now)."""
        self.paused = False
        held, self.held = self.held, set()
        self._note().display = False
        return held

    def show_note(self) -> None:
        note = self._note()
        note.update(f"⏸ paused · {plural(len(self.held), 'lead')} changed · p resumes")
        note.display = True
