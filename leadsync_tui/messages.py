"""App-level messages: how the store's notifications reach the widgets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.message import Message

from leadsync_tui.store.changes import Change


@dataclass
class StoreChanged(Message, bubble=False):
    """The store applied an action; `changes` names what to redraw.

    It does not bubble: the app hands a copy to each screen, and a copy bubbling back
    to the app would be handed out again, for ever (twice as fast with a modal open).
    """

    changes: Sequence[Change]
