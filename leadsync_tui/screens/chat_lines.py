"""How a conversation reads: speakers, lead states, and chat text made safe to share.

Each transcript line carries its time and its speaker as a glyph and a word (they read
without colour); text from DomIQ is shown as text, and masked like the rest of the app
when PII is masked (`redact`). Kept apart from the screen, which loads and qualifies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Static

from leadsync_tui.models import Lead, MessageRole, Qualification, SyncStatus, TranscriptMessage
from leadsync_tui.widgets.pii import mask_email, mask_name, mask_phone

ROLE_LABELS = {
    MessageRole.PROSPECT: "● prospect",
    MessageRole.BOT: "◆ bot",
    MessageRole.AGENT: "■ agent",
}
"""Glyph and word per speaker: each reads without its colour."""
QUALIFICATION_LABELS = {
    Qualification.NEW: "◇ new",
    Qualification.QUALIFIED: "✔ qualified",
    Qualification.DISQUALIFIED: "✖ disqualified",
}
NOT_A_LEAD = "○ chat, not a lead yet"
MESSAGE_LIMIT = 4_000
"""Characters of one message shown (upstream text is hostile and may be huge)."""


_EMAIL = re.compile(r"[^\s@<>()\[\]]+@[^\s@<>()\[\]]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"\+?\(?\d[\d\s().\-]{8,}\d")
_PHONE_DIGITS = 10
"""Digits a run needs to be masked as a phone (a date has 8, a rent fewer)."""


def redact(text: str, names: Sequence[str] = ()) -> str:
    """Chat text for a shared screen: emails, phone numbers and the person's `names`
    masked as the rest of the app masks them (`m***@example.com`, `+1 ••• ••• 0143`,
    `M.`). Free text can hide personal data in other forms; this catches the usual."""
    text = _EMAIL.sub(lambda found: mask_email(found.group()), text)
    text = _PHONE.sub(
        lambda found: (
            mask_phone(found.group())
            if sum(char.isdigit() for char in found.group()) >= _PHONE_DIGITS
            else found.group()
        ),
        text,
    )
    for name in names:
        if len(name.strip()) > 1:
            pattern = re.compile(rf"\b{re.escape(name.strip())}\b", re.IGNORECASE)
            text = pattern.sub(f"{name.strip()[0].upper()}.", text)
    return text


def already_qualified(lead: Lead) -> str:
    """What the action line says for a qualified lead: nothing to ask, where it stands."""
    if lead.resman_sync_status is SyncStatus.SYNCED:
        return "Already qualified and synced to ResMan: nothing to do."
    return "Qualified: the lead syncs to ResMan."


def display_name(lead: Lead, *, masked: bool) -> str:
    """The lead's name as the screens show it: initials when PII is masked."""
    return mask_name(lead.first_name, lead.last_name) if masked else lead.full_name


class ChatLine(Horizontal):
    """One transcript message: time and speaker on the left, the text wrapped beside."""

    def __init__(self, message: TranscriptMessage, text: str) -> None:
        """`text` is the message as shown (cleaned, and masked when PII is)."""
        super().__init__(classes=f"chat-line -{message.role.value}")
        self.message = message
        self.text = text

    def compose(self) -> ComposeResult:
        meta = f"{self.message.at:%m-%d %H:%M} {ROLE_LABELS[self.message.role]}"
        yield Static(meta, classes="chat-meta", markup=False)
        yield Static(Content(self.text), classes="chat-text", markup=False)
