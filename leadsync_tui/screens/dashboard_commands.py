"""The dashboard's actions by key and by name: bindings, palette entries, permissions.

A new user finds every action in the palette; a role that lacks a permission sees the
action neither in the footer nor in the palette, and is told why if it presses the key.
Kept as data beside the screen, so adding an action is one line here and one method.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial

from textual.app import SystemCommand
from textual.binding import Binding, BindingType

from leadsync_tui.roles import Permission
from leadsync_tui.screens.session import Session

BINDINGS: list[BindingType] = [
    Binding("c", "next_conflict", "Next conflict"),
    Binding("r", "retry", "Retry"),
    Binding("n", "new_lead", "New lead"),
    Binding("o", "open_conversation", "Conversation"),
    Binding("m", "metrics", "Metrics"),
    Binding("b", "bulk_resolve", "Bulk resolve"),
    Binding("e", "export", "Export CSV"),
    Binding("p", "toggle_pause", "Pause"),
    Binding("g", "jump", "Go to id"),
    Binding("ctrl+r", "reconnect", "Reconnect"),
    Binding("M", "toggle_mask", "Mask PII"),
    Binding("escape", "close_filter", "Close filter", show=False),
]
"""The dashboard's keys (the footer shows those the role allows)."""

ACTION_PERMISSIONS: dict[str, Permission] = {
    "retry": Permission.RETRY,
    "new_lead": Permission.CREATE,
    "bulk_resolve": Permission.BULK,
    "export": Permission.EXPORT,
}
"""Actions a role may lack: hidden from the footer and palette, refused if invoked."""

PALETTE: tuple[tuple[str, str, str], ...] = (
    ("Open lead", "select", "The lead under the cursor: both systems side by side"),
    ("Next conflict", "next_conflict", "Triage unresolved conflicts one after another"),
    ("Retry", "retry", "Send the failed writes of the marked (or current) leads again"),
    ("New lead", "new_lead", "Create a lead in DomIQ; it syncs to ResMan"),
    ("Conversation", "open_conversation", "The current lead's DomIQ chat transcript"),
    ("Metrics", "metrics", "Sync health over the session; errors grouped by type"),
    ("Bulk resolve", "bulk_resolve", "Resolve the conflicts of the marked/filtered leads"),
    ("Export CSV", "export", "Write the rows in view to a CSV file"),
    ("Pause / resume live updates", "toggle_pause", "Freeze the table while you read"),
    ("Go to lead by id", "jump", "A DomIQ conversation id or a ResMan prospect id"),
    ("Filter", "filter", "Show only rows containing some text, in any column"),
    ("Sort", "sort", "Sort by the next column (again: the one after)"),
    ("Reverse sort", "reverse_sort", "Flip the sort direction (what S does)"),
    ("Mark", "mark", "Mark or unmark the row under the cursor for a bulk action (space)"),
    ("Reconnect live feed", "reconnect", "Reconnect DomIQ's real-time feed now"),
    ("Mask PII", "toggle_mask", "Hide names, emails and phones (screen sharing)"),
    ("Toggle theme", "app.toggle_theme", "Switch between the dark and light theme"),
)
"""(title, action, help) for the command palette: every dashboard action by name."""


def allowed(session: Session, action: str) -> bool:
    """Whether the session's role may take `action` (those without a permission: yes)."""
    permission = ACTION_PERMISSIONS.get(action)
    return permission is None or session.may(permission)


def refused_key(session: Session, bindings: Sequence[BindingType], key: str) -> bool:
    """True when `key` is bound to an action the role lacks (and the session said why)."""
    for binding in bindings:
        if not isinstance(binding, Binding) or binding.key != key:
            continue
        permission = ACTION_PERMISSIONS.get(binding.action)
        if permission is not None and not session.refuse_unless(permission):
            return True
    return False


def palette_commands(session: Session, run: Callable[[str], object]) -> Iterable[SystemCommand]:
    """Every action in `PALETTE` the role allows; `run(action)` runs one."""
    for title, action, help_text in PALETTE:
        if allowed(session, action):
            yield SystemCommand(title, help_text, partial(run, action))
