"""One normaliser per synced field: the shared vocabulary's values, or why not.

Split from `mapping` so the rules for one value (a phone, a name, a rent) are one module,
used by both sides of the mapping, by the new-lead form and by the conflict editor. Each
normaliser returns the normalised JSON scalar (None for blank) or raises
`InvalidFieldValue` saying why; `mapping.normalise_field` turns that into an
`InvalidValue` marker. The table of what each field becomes is in `mapping`'s docstring.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from leadsync_tui import phones
from leadsync_tui.clients.mits import parse_loose_date
from leadsync_tui.models import Qualification

QUALIFICATION_ACTIVE = "active"
"""DomIQ `new`/`qualified` <-> a ResMan prospect that is not lost (any other Customer
Type: prospect, applicant, resident...). Someone is, or may be, working the lead."""
QUALIFICATION_LOST = "lost"
"""DomIQ `disqualified` <-> ResMan `Customer Type="lost"` (a Cancel event). Nobody works
the lead. Going back to active is a ResMan `ReActivate` event / DomIQ `qualified`."""

FIRST_NAME_MAX = 35
LAST_NAME_MAX = 50
EMAIL_MAX = 150
"""ResMan's column sizes: a longer value fails the whole post."""
BEDROOMS_MAX = 10
BATHROOMS_MAX = 10.0
"""DomIQ refuses more (`LeadData` bounds): such a ResMan value cannot be carried over."""


class InvalidFieldValue(ValueError):
    """A value that fails normalisation; the message says why, for the conflict dialog."""


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_WHITESPACE = re.compile(r"\s+")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")


def normalise_phone(value: str | None) -> str | None:
    """E.164 with US as the default country (`phones.normalise_phone`, libphonenumber);
    None for blank; `InvalidFieldValue`, saying why, else."""
    try:
        return phones.normalise_phone(value)
    except phones.PhoneError as exc:
        raise InvalidFieldValue(str(exc)) from None


def normalise_email(value: str | None) -> str | None:
    """Trimmed and lower-cased; `InvalidFieldValue` when it is not an address."""
    if value is None or not value.strip():
        return None
    email = value.strip().lower()
    if len(email) > EMAIL_MAX:
        raise InvalidFieldValue(f"email is {len(email)} characters; ResMan keeps {EMAIL_MAX}")
    if not _EMAIL.match(email):
        raise InvalidFieldValue(f"{value.strip()!r} is not an email address")
    return email


def normalise_name(value: str | None, *, max_length: int = LAST_NAME_MAX) -> str | None:
    """NFC, trimmed, runs of whitespace made one space; case is kept (McDonald)."""
    if value is None:
        return None
    name = _WHITESPACE.sub(" ", _CONTROL.sub("", unicodedata.normalize("NFC", value))).strip()
    if not name:
        return None
    if len(name) > max_length:
        raise InvalidFieldValue(f"{name[:20]!r}... is {len(name)} characters; max {max_length}")
    return name


def normalise_text(value: str | None) -> str | None:
    """Free text (notes): same line ends, no control characters, no trailing blanks."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text.replace("\t", " "))
    text = "\n".join(line.rstrip() for line in text.split("\n")).strip()
    return text or None


def normalise_date(value: date | datetime | str | None) -> str | None:
    """`YYYY-MM-DD`; a datetime keeps its date part as written, US `M/D/YYYY` is read."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not value.strip():
        return None
    try:
        return parse_loose_date(value).isoformat()
    except ValueError:
        raise InvalidFieldValue(f"{value!r} is not a date") from None


def _decimal(value: Any, what: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise InvalidFieldValue(f"{value!r} is not a number of {what}")
    try:
        text = str(value).strip().replace(",", "").removeprefix("$")
        number = Decimal(text)
    except ArithmeticError:
        raise InvalidFieldValue(f"{value!r} is not a number of {what}") from None
    if not number.is_finite():
        raise InvalidFieldValue(f"{value!r} is not a number of {what}")
    return number


def normalise_bedrooms(value: Any) -> int | None:
    """A whole number of bedrooms, 0..10 (0 is a studio)."""
    number = _decimal(value, "bedrooms")
    if number is None:
        return None
    if number != number.to_integral_value() or not 0 <= number <= BEDROOMS_MAX:
        raise InvalidFieldValue(f"{value!r} bedrooms: need a whole number 0-{BEDROOMS_MAX}")
    return int(number)


def normalise_bathrooms(value: Any) -> float | None:
    """0..10 bathrooms, at most two decimals (1.5 is a half bath)."""
    number = _decimal(value, "bathrooms")
    if number is None:
        return None
    if not 0 <= number <= Decimal(str(BATHROOMS_MAX)):
        raise InvalidFieldValue(f"{value!r} bathrooms: need 0-{BATHROOMS_MAX:g}")
    return float(number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def normalise_rent(value: Any) -> int | None:
    """Whole dollars a month (DomIQ's unit); cents are rounded half up."""
    number = _decimal(value, "dollars")
    if number is None:
        return None
    if number < 0:
        raise InvalidFieldValue(f"rent {value!r} is negative")
    return int(number.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def normalise_pets(value: Any) -> bool | None:
    """True when the lead has pets; None for both "no" and "unknown".

    ResMan keeps a list of pets: an empty list reads back the same whether the person
    said "no pets" or nobody asked, so False cannot survive a round trip and would
    show up as a change on every poll.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return True if value else None
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0", "", "none"):
            return None
    raise InvalidFieldValue(f"{value!r} is not yes/no")


def normalise_qualification(value: Any) -> str:
    """DomIQ qualification or our own `active`/`lost` -> `active`/`lost`."""
    text = str(value.value if isinstance(value, Qualification) else value).strip().lower()
    if text in (Qualification.DISQUALIFIED.value, QUALIFICATION_LOST):
        return QUALIFICATION_LOST
    if text in (Qualification.NEW.value, Qualification.QUALIFIED.value, QUALIFICATION_ACTIVE):
        return QUALIFICATION_ACTIVE
    raise InvalidFieldValue(f"{value!r} is not a qualification")


def _first_name(value: Any) -> str | None:
    return normalise_name(value, max_length=FIRST_NAME_MAX)


def _last_name(value: Any) -> str | None:
    return normalise_name(value, max_length=LAST_NAME_MAX)


NORMALISERS: Mapping[str, Callable[[Any], Any]] = {
    "first_name": _first_name,
    "last_name": _last_name,
    "email": normalise_email,
    "phone": normalise_phone,
    "desired_move_in": normalise_date,
    "desired_bedrooms": normalise_bedrooms,
    "desired_bathrooms": normalise_bathrooms,
    "max_rent": normalise_rent,
    "pets": normalise_pets,
    "notes": normalise_text,
    "qualification": normalise_qualification,
}
"""One normaliser per synced field; both sides and person-typed values go through it."""
