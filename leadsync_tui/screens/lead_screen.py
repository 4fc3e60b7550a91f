"""The base of the screens about one lead: its id, the session's desk and masking.

The lead detail and conversation screens both read the same things from the session;
this keeps that in one place.
"""

from __future__ import annotations

from leadsync_tui.screens.session import SessionScreen
from leadsync_tui.sync.lead_desk import LeadDesk


class LeadScreen(SessionScreen):
    """A full screen about one lead (`conversation_id`)."""

    def __init__(self, conversation_id: str, *, mask_pii: bool | None = None) -> None:
        """`mask_pii` masks names, emails and phones shown (default: the app's setting)."""
        super().__init__()
        self.conversation_id = conversation_id
        self._mask_pii = mask_pii

    @property
    def desk(self) -> LeadDesk | None:
        return self.session.desk

    @property
    def masked(self) -> bool:
        return self.session.mask_pii if self._mask_pii is None else self._mask_pii
