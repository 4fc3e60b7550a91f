"""The new-lead form's fields: labels, hints, the two columns, and the input that cleans.

What the form shows for each field lives apart from how the form runs (`lead_creation`),
so a new field is one line in each table here and a check in `lead_form`.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from leadsync_tui.models import LeadSource
from leadsync_tui.sync.lead_form import clean_input

LABELS = {
    "property_id": "Property",
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "phone": "Phone",
    "source": "Source",
    "desired_move_in": "Move-in",
    "desired_bedrooms": "Bedrooms",
    "desired_bathrooms": "Bathrooms",
    "max_rent": "Max rent",
    "pets": "Pets",
    "notes": "Notes",
}
PLACEHOLDERS = {
    "first_name": "required",
    "last_name": "required",
    "email": "name@example.com",
    "phone": "(512) 555-0143",
    "desired_move_in": "YYYY-MM-DD",
    "desired_bedrooms": "0-10",
    "desired_bathrooms": "e.g. 1.5",
    "max_rent": "$ a month",
    "notes": "anything the leasing team should know",
}
LEFT = ("property_id", "first_name", "last_name", "email", "phone", "source")
RIGHT = ("desired_move_in", "desired_bedrooms", "desired_bathrooms", "max_rent", "pets", "notes")
SOURCE_LABELS = {
    LeadSource.ADMIN: "admin (typed in)",
    LeadSource.WEBSITE_CHAT: "website chat",
    LeadSource.SMS: "SMS",
    LeadSource.VOICE: "voice",
    LeadSource.ILS: "ILS listing",
}
PETS_OPTIONS = (("not asked", ""), ("yes", "yes"), ("no", "no"))
MESSAGE_LIMIT = 300
"""Characters of one message shown (findings quote upstream values)."""


class FormInput(Input):
    """An `Input` that cleans what arrives: control characters out, line breaks and tabs
    to spaces, cut to `max_length` (a too-long paste is cut, not refused)."""

    was_cut = False
    """Set when the last edit was cut to fit; the form says so once."""

    def replace(self, text: str, start: int, end: int) -> None:
        cleaned = clean_input(text)
        if self.max_length:
            current = len(self.value) - abs(end - start)
            room = max(self.max_length - current, 0)
            if len(cleaned) > room:
                cleaned = cleaned[:room]
                self.was_cut = True
        super().replace(cleaned, start, end)

    def _on_paste(self, event: events.Paste) -> None:
        """Every pasted line, not only the first, joined by spaces."""
        event.prevent_default()
        event.stop()
        if not event.text:
            return
        start, end = self.selection
        self.replace(clean_input(event.text, None), start, end)
