"""`ConflictNotificationBanner`: a one-line bar that says how many conflicts wait for a person.

Spec: `ConflictNotificationBanner { conflicts, onClick(conflictId) }`. `on_click` becomes the
message `ConflictNotificationBanner.ConflictSelected(conflict_id)`, posted on a click or when
the app calls `action_triage` (bound to `c` at the app level, as the text says).

Only open conflicts count (`conflict.is_open`: unresolved, manual review, escalated). The
banner hides itself (`display = False`) when there are none, so the screen gets the line back.

Which conflict a click opens: the *most severe*, then the *oldest* (`detected_at`; undated
ones after dated ones), then the smallest id. A high-severity conflict blocks identity or
contact fields, so it goes first whatever its age; among equals, the one that has waited
longest goes first (first come, first served). `first_conflict` applies that order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual import events
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.style import Style
from textual.widget import Widget

from leadsync_tui.models import ConflictSeverity, LeadSyncConflict
from leadsync_tui.widgets.sync_error_alert import clean_text

_SEVERITY_RANK = {ConflictSeverity.HIGH: 0, ConflictSeverity.MEDIUM: 1, ConflictSeverity.LOW: 2}
_NAME_LIMIT = 60
"""Longest lead name shown (the line is cut with "…" anyway; this bounds the work)."""


def triage_order(conflict: LeadSyncConflict) -> tuple[int, int, float, str]:
    """Sort key: severity (high first), then oldest detected, undated last, then id."""
    detected = conflict.detected_at
    when = 0.0 if detected is None else detected.timestamp()
    return (_SEVERITY_RANK[conflict.conflict_severity], int(detected is None), when, conflict.id)


def first_conflict(conflicts: Iterable[LeadSyncConflict]) -> LeadSyncConflict | None:
    """The open conflict to triage first, or None when none is open."""
    open_ones = [conflict for conflict in conflicts if conflict.is_open]
    return min(open_ones, key=triage_order, default=None)


class ConflictNotificationBanner(Widget):
    """`▲ 3 unresolved conflicts (1 high) — press c to triage`; click to open the first."""

    COMPONENT_CLASSES = {"conflict-banner--glyph", "conflict-banner--high"}
    """
    | Class | Styles |
    | :- | :- |
    | `conflict-banner--glyph` | The leading `▲` |
    | `conflict-banner--high` | The count of high-severity conflicts |
    """

    DEFAULT_CSS = """
    ConflictNotificationBanner {
        width: 1fr;
        height: 1;
        padding: 0 1;
        background: $warning 12%;
        color: $text;
        text-wrap: nowrap;
        text-overflow: ellipsis;
        & > .conflict-banner--glyph { color: $text-warning; text-style: bold; }
        & > .conflict-banner--high { color: $text-error; text-style: bold; }
        &:hover { background: $warning 15%; }
    }
    """

    conflicts: reactive[list[LeadSyncConflict]] = reactive(list, init=False)
    """All conflicts the app knows of (spec: `conflicts`); only open ones are counted."""

    class ConflictSelected(Message):
        """The user asked to triage a conflict (spec: `onClick(conflictId)`)."""

        def __init__(self, banner: ConflictNotificationBanner, conflict_id: str) -> None:
            super().__init__()
            self.banner = banner
            self.conflict_id = conflict_id
            """The conflict to open: the first in triage order."""

        @property
        def control(self) -> ConflictNotificationBanner:
            return self.banner

    def __init__(
        self,
        conflicts: Iterable[LeadSyncConflict] = (),
        *,
        lead_names: Mapping[str, str] | None = None,
        key_hint: str = "c",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """`lead_names` maps conversation ids to the names shown (masked, if the app masks
        PII); an unknown lead shows its conversation id. `key_hint` is the app's triage key.
        """
        super().__init__(name=name, id=id, classes=classes)
        self.lead_names: Mapping[str, str] = dict(lead_names or {})
        self.key_hint = key_hint
        self.verb = "triage"
        """What the key does here: "triage", or "view" for a user who may decide none."""
        self.set_reactive(ConflictNotificationBanner.conflicts, list(conflicts))
        self.display = bool(self.open_conflicts)

    def update_conflicts(
        self,
        conflicts: Iterable[LeadSyncConflict],
        lead_names: Mapping[str, str] | None = None,
    ) -> None:
        """Replace the conflicts (and, if given, the lead names) in one go."""
        if lead_names is not None:
            self.lead_names = dict(lead_names)
        self.conflicts = list(conflicts)
        self.refresh()

    def watch_conflicts(self) -> None:
        self.display = bool(self.open_conflicts)

    @property
    def open_conflicts(self) -> list[LeadSyncConflict]:
        """The conflicts that still need someone, in triage order."""
        return sorted((c for c in self.conflicts if c.is_open), key=triage_order)

    @property
    def label(self) -> str:
        """The text shown, without styles."""
        return self._content().plain

    def render(self) -> Content:
        return self._content()

    def _content(self) -> Content:
        open_ones = self.open_conflicts
        glyph = ("▲ ", self._style("glyph"))
        if not open_ones:
            return Content("")
        if len(open_ones) == 1:
            conflict = open_ones[0]
            field = conflict.field.replace("_", " ")
            lead = self.lead_names.get(conflict.conversation_id, conflict.conversation_id)
            return Content.assemble(
                glyph,
                f"1 unresolved conflict: {clean_text(field, _NAME_LIMIT)} on "
                f"{clean_text(lead, _NAME_LIMIT)} — press {self.key_hint}"
                + (" to view" if self.verb == "view" else ""),
            )
        high = sum(c.conflict_severity is ConflictSeverity.HIGH for c in open_ones)
        parts: list[str | tuple[str, Style]] = [glyph, f"{len(open_ones)} unresolved conflicts"]
        if high:
            parts += [" (", (f"{high} high", self._style("high")), ")"]
        parts.append(f" — press {self.key_hint} to {self.verb}")
        return Content.assemble(*parts)

    def _style(self, component: str) -> Style:
        return self.get_visual_style(f"conflict-banner--{component}", partial=True)

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.action_triage()

    def action_triage(self) -> None:
        """Ask the app to open the first open conflict (nothing happens when none is open)."""
        conflict = first_conflict(self.conflicts)
        if conflict is not None:
            self.post_message(self.ConflictSelected(self, conflict.id))
