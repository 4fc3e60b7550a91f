"""The base of the screens about one lead: the session's store, desk and masking.

The lead detail and conversation screens both read the same things from the app; this
keeps that in one place (and the "pushed once the app has its store" rule with it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import Screen

from leadsync_tui.store.store import LeadSyncStore
from leadsync_tui.sync.lead_desk import LeadDesk

if TYPE_CHECKING:
    from leadsync_tui.app import LeadSyncApp


class LeadScreen(Screen[None]):
    """A full screen about one lead (`conversation_id`)."""

    def __init__(self, conversation_id: str, *, mask_pii: bool | None = None) -> None:
        """`mask_pii` masks names, emails and phones shown (default: the app's setting)."""
        super().__init__()
        self.conversation_id = conversation_id
        self._mask_pii = mask_pii

    @property
    def session(self) -> LeadSyncApp:
        return cast("LeadSyncApp", self.app)

    @property
    def store(self) -> LeadSyncStore:
        store = self.session.store
        assert store is not None, "screens are pushed once the app has its store"
        return store

    @property
    def desk(self) -> LeadDesk | None:
        return self.session.desk

    @property
    def masked(self) -> bool:
        return self.session.mask_pii if self._mask_pii is None else self._mask_pii
