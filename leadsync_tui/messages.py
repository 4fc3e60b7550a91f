"""App-level messages: how the store's notifications reach the widgets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.message import Message

from leadsync_tui.store.changes import Change


@dataclass
class StoreChanged(Message):
    """The store applied an action; `changes` names what to redraw."""

    changes: Sequence[Change]
