"""A new lead's form, read as typed: each field's check, and the whole form.

Split from `lead_intake` so the form's rules (what a field takes and the message that
names the problem and the fix) are one module: `check_field(name, text, today)` reads one
field as typed into the value `LeadData` holds; `read_form` does the whole form. No
Textual here; the screen calls them, and `lead_preflight` re-checks the data with them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from leadsync_tui.clients.mits import parse_loose_date
from leadsync_tui.models import LeadData, LeadSource
from leadsync_tui.sync.normalisers import (
    EMAIL_MAX,
    FIRST_NAME_MAX,
    LAST_NAME_MAX,
    InvalidFieldValue,
    normalise_bathrooms,
    normalise_bedrooms,
    normalise_email,
    normalise_name,
    normalise_phone,
    normalise_rent,
)

MOVE_IN_HORIZON = timedelta(days=2 * 366)
"""A move-in further out than this is almost surely a wrong year."""
RENT_MAX = 100_000
NOTES_MAX = 1000

INPUT_LIMITS: Mapping[str, int] = {
    "first_name": FIRST_NAME_MAX,
    "last_name": LAST_NAME_MAX,
    "email": EMAIL_MAX,
    "phone": 25,
    "desired_move_in": 10,
    "desired_bedrooms": 4,
    "desired_bathrooms": 5,
    "max_rent": 9,
    "notes": NOTES_MAX,
}
"""How many characters each text field takes (ResMan's column sizes where it has one),
so a pasted 10 KB string is cut at the door."""
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
"""Terminal escape sequences (CSI, OSC, two-character): pasted from a terminal."""


def clean_input(text: str, limit: int | None = None) -> str:
    """Typed or pasted text made safe: tabs and line breaks become spaces, control and
    format characters (ESC, NUL, bidi overrides) go, and it is cut to `limit`."""
    text = _ANSI.sub("", text[: (limit or len(text)) * 4 + 64])  # bound the work
    kept = []
    for char in text:
        if char in "\t\r\n\v\f":
            kept.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs"):
            continue
        else:
            kept.append(char)
    cleaned = "".join(kept)
    return cleaned[:limit] if limit else cleaned


@dataclass(frozen=True)
class Checked:
    """One field read: the value for `LeadData`, or the problem in words (and the fix)."""

    value: Any = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _name(label: str, limit: int) -> Callable[[str, date], Checked]:
    def check(text: str, today: date) -> Checked:
        try:
            name = normalise_name(clean_input(text), max_length=limit)
        except InvalidFieldValue:
            return Checked(problem=f"{label} is too long: ResMan keeps {limit} characters.")
        if name is None:
            return Checked(problem=f"{label} is required: ResMan needs it on every guest card.")
        return Checked(name)

    return check


def _email(text: str, today: date) -> Checked:
    if not text.strip():
        return Checked()
    try:
        return Checked(normalise_email(text))
    except InvalidFieldValue:
        if len(text.strip()) > EMAIL_MAX:
            return Checked(problem=f"Too long: ResMan keeps {EMAIL_MAX} characters.")
        return Checked(problem="Not an email address: write it like name@example.com.")


def _phone(text: str, today: date) -> Checked:
    if not text.strip():
        return Checked()
    try:
        return Checked(normalise_phone(text))
    except InvalidFieldValue as exc:
        digits = len(re.sub(r"\D", "", text))
        if re.search(r"[A-Za-z]", text):
            why = "letters are not allowed (no extensions)"
        elif "valid" in str(exc):
            why = "not a real number (area code or exchange)"
        else:
            why = f"{digits} digits"
        return Checked(
            problem=f"Not a phone number ({why}): type 10 digits, e.g. (512) 555-0143, "
            "or +country code for abroad."
        )


def _move_in(text: str, today: date) -> Checked:
    if not text.strip():
        return Checked()
    try:
        day = parse_loose_date(text)
    except (ValueError, TypeError):
        return Checked(problem="Not a date: type YYYY-MM-DD, e.g. 2027-01-15.")
    if day < today:
        return Checked(problem=f"{day.isoformat()} is in the past: pick today or later.")
    if day > today + MOVE_IN_HORIZON:
        return Checked(problem=f"{day.isoformat()} is over two years away: check the year.")
    return Checked(day)


def _bedrooms(text: str, today: date) -> Checked:
    try:
        return Checked(normalise_bedrooms(text))
    except InvalidFieldValue:
        return Checked(problem="Bedrooms: a whole number from 0 (studio) to 10.")


def _bathrooms(text: str, today: date) -> Checked:
    try:
        baths = normalise_bathrooms(text)
    except InvalidFieldValue:
        return Checked(problem="Bathrooms: a number from 0 to 10, e.g. 1 or 1.5.")
    if baths is not None and (baths * 2) != int(baths * 2):
        return Checked(problem="Bathrooms: whole or half baths only, e.g. 1 or 1.5.")
    return Checked(baths)


def _rent(text: str, today: date) -> Checked:
    try:
        rent = normalise_rent(text)
    except InvalidFieldValue as exc:
        if "negative" in str(exc):
            return Checked(problem="Max rent cannot be negative: type whole dollars, e.g. 1850.")
        return Checked(problem="Max rent: whole dollars a month, e.g. 1850 or $1,850.")
    if rent is not None and rent > RENT_MAX:
        return Checked(problem=f"Max rent over ${RENT_MAX:,} a month: check the number.")
    return Checked(rent)


def _notes(text: str, today: date) -> Checked:
    notes = clean_input(text).strip()
    if len(notes) > NOTES_MAX:
        return Checked(problem=f"Notes are too long: keep them under {NOTES_MAX} characters.")
    return Checked(notes or None)


FIELD_CHECKS: Mapping[str, Callable[[str, date], Checked]] = {
    "first_name": _name("First name", FIRST_NAME_MAX),
    "last_name": _name("Last name", LAST_NAME_MAX),
    "email": _email,
    "phone": _phone,
    "desired_move_in": _move_in,
    "desired_bedrooms": _bedrooms,
    "desired_bathrooms": _bathrooms,
    "max_rent": _rent,
    "notes": _notes,
}
"""The text fields of the form, in form order."""

PETS_CHOICES: Mapping[str, bool | None] = {"": None, "yes": True, "no": False}


def check_field(name: str, text: str, today: date) -> Checked:
    """One text field as typed: its `LeadData` value, or what is wrong and how to fix it."""
    return FIELD_CHECKS[name](text, today)


def read_form(form: Mapping[str, str], today: date) -> tuple[LeadData | None, dict[str, str]]:
    """The whole form (text by `LeadData` field name): the data, or the problems by field.

    `property_id`, `source` and `pets` come from choice lists: "" means not chosen.
    """
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    property_id = form.get("property_id", "").strip()
    if not property_id:
        problems["property_id"] = "Choose the property the lead is for."
    values["property_id"] = property_id
    for name in FIELD_CHECKS:
        checked = check_field(name, form.get(name, ""), today)
        if checked.ok:
            values[name] = checked.value
        else:
            problems[name] = checked.problem or ""
    values["pets"] = PETS_CHOICES.get(form.get("pets", ""))
    try:
        values["source"] = LeadSource(form.get("source") or LeadSource.ADMIN)
    except ValueError:
        problems["source"] = "Choose where the lead came from."
    if problems:
        return None, problems
    return LeadData(**values), {}
