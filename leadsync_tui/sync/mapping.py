"""DomIQ lead <-> ResMan prospect, field by field, in one normalised vocabulary.

`lead_to_fields` and `prospect_to_fields` both give a dict keyed by `SYNCED_FIELDS` whose
values are normalised JSON scalars, so the merge compares the two sides (and the stored
snapshot) with plain `==`, and formatting differences are never changes:

| field | normalised value |
| --- | --- |
| first_name, last_name | NFC, trimmed, inner whitespace collapsed, case kept |
| email | trimmed, lower-case |
| phone | E.164; US is the default country (`(512) 555-0143` -> `+15125550143`) |
| desired_move_in | `YYYY-MM-DD` |
| desired_bedrooms | int 0..10 (ResMan's Min/Max: Exact, else the lower bound) |
| desired_bathrooms | float 0..10, two decimals at most |
| max_rent | int dollars, >= 0 (ResMan: `DesiredRent@Max`, else `@Exact`) |
| pets | True, or None for "none listed" (ResMan cannot tell "no pets" from unknown) |
| notes | `\\n` line ends, control characters dropped, lines right-trimmed, trimmed |
| qualification | `"active"` or `"lost"` (see `QUALIFICATION_*`) |

Empty strings are None. A value that cannot be carried to the other side becomes an
`InvalidValue` marker (never raised out of the `*_to_fields` functions), which the merge
turns into a `format_invalid` conflict for a person.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from leadsync_tui import phones
from leadsync_tui.clients.mits import NumberRange, Prospect, ProspectFields, parse_loose_date
from leadsync_tui.config import SYNCED_FIELDS
from leadsync_tui.models import ConflictSeverity, Lead, Qualification

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

PHONE_TYPE_PREFERENCE: tuple[tuple[str, ...], ...] = (
    ("cell", "mobile", "cellular", "cellphone"),
    ("home", "personal", "evening"),
    ("work", "office", "business", "day"),
)
"""Which ResMan phone is DomIQ's one phone: mobile first, then home, then work, then any."""


# --------------------------------------------------------------------------- markers


class InvalidFieldValue(ValueError):
    """A value that fails normalisation; the message says why, for the conflict dialog."""


@dataclass(frozen=True)
class InvalidValue:
    """Stands in a fields dict for a value that failed normalisation."""

    raw: Any
    reason: str


def is_invalid(value: Any) -> bool:
    return isinstance(value, InvalidValue)


# --------------------------------------------------------------------------- normalisers


_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-/]+$")
_NON_DIGITS = re.compile(r"\D")
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


phone_for_resman = phones.phone_for_resman
phone_digits_for_search = phones.phone_digits_for_search


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


def normalise_field(name: str, value: Any) -> Any:
    """The normalised value, or an `InvalidValue` carrying the raw value and the reason."""
    if isinstance(value, InvalidValue):
        return value
    try:
        return NORMALISERS[name](value)
    except InvalidFieldValue as exc:
        return InvalidValue(raw=value, reason=str(exc))
    except (TypeError, ValueError, AttributeError) as exc:  # a wrong type from a caller
        return InvalidValue(raw=value, reason=f"{value!r} cannot be read: {exc}")


# --------------------------------------------------------------------------- to fields


def lead_to_fields(lead: Lead) -> dict[str, Any]:
    """A DomIQ lead in the shared vocabulary (keys: `SYNCED_FIELDS`)."""
    return {name: normalise_field(name, getattr(lead, name)) for name in SYNCED_FIELDS}


def pick_phone(prospect: Prospect) -> str | None:
    """The ResMan phone that stands for DomIQ's one phone (`PHONE_TYPE_PREFERENCE`)."""
    for kinds in PHONE_TYPE_PREFERENCE:
        for phone in prospect.phones:
            if (phone.phone_type or "").strip().lower() in kinds:
                return phone.number
    return prospect.phones[0].number if prospect.phones else None


def range_value(value: NumberRange) -> float | None:
    """One number for a ResMan Min/Max preference: Exact, else the lower bound.

    A 1-2 bedroom range becomes 1 in DomIQ ("needs at least"). The range survives in
    ResMan as long as nobody changes the field in DomIQ, since 1 keeps comparing equal.
    """
    if value.exact is not None:
        return value.exact
    if value.min is not None:
        return value.min
    return value.max


_UNREADABLE_TO_FIELD = {
    "target_move_in": "desired_move_in",
    "max_rent": "max_rent",
    "bedrooms": "desired_bedrooms",
    "bathrooms": "desired_bathrooms",
}


def prospect_to_fields(prospect: Prospect) -> dict[str, Any]:
    """A ResMan prospect in the shared vocabulary (keys: `SYNCED_FIELDS`)."""
    raw: dict[str, Any] = {
        "first_name": prospect.first_name,
        "last_name": prospect.last_name,
        "email": prospect.email,
        "phone": pick_phone(prospect),
        "desired_move_in": prospect.target_move_in,
        "desired_bedrooms": range_value(prospect.bedrooms),
        "desired_bathrooms": range_value(prospect.bathrooms),
        "max_rent": prospect.max_rent,
        "pets": prospect.pets,
        "notes": prospect.comments,
        "qualification": QUALIFICATION_LOST if prospect.is_lost else QUALIFICATION_ACTIVE,
    }
    fields = {name: normalise_field(name, raw[name]) for name in SYNCED_FIELDS}
    for key, text in prospect.unreadable.items():
        name = _UNREADABLE_TO_FIELD.get(key)
        if name is not None:
            fields[name] = InvalidValue(raw=text, reason=f"ResMan sent {text!r}: not readable")
    return fields


# --------------------------------------------------------------------------- from fields


def _check_valid(changes: Mapping[str, Any]) -> None:
    bad = [name for name, value in changes.items() if isinstance(value, InvalidValue)]
    if bad:
        raise ValueError(f"invalid values cannot be written: {', '.join(bad)}")
    unknown = set(changes) - set(SYNCED_FIELDS)
    if unknown:
        raise ValueError(f"not synced fields: {', '.join(sorted(unknown))}")


def fields_to_domiq_patch(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Normalised changes -> a DomIQ `PATCH /v1/leads/{id}` body.

    `lost` -> `disqualified`, `active` -> `qualified` (a prospect ResMan reactivated is
    being worked); pets None -> False (a ResMan agent removed the pets).
    """
    _check_valid(changes)
    body: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "qualification":
            body[name] = (
                Qualification.DISQUALIFIED.value
                if value == QUALIFICATION_LOST
                else Qualification.QUALIFIED.value
            )
        elif name == "pets":
            body[name] = bool(value)
        else:
            body[name] = value
    return body


_TO_PROSPECT_FIELD = {
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "phone": "phone",
    "desired_move_in": "target_move_in",
    "desired_bedrooms": "bedrooms",
    "desired_bathrooms": "bathrooms",
    "max_rent": "desired_rent",
    "pets": "pets",
    "notes": "comments",
}


def fields_to_prospect_fields(changes: Mapping[str, Any]) -> ProspectFields:
    """Normalised changes -> the arguments of a MITS update (qualification excluded:
    see `resman_status_change`). A None is posted empty, which clears it in ResMan."""
    _check_valid(changes)
    values: dict[str, Any] = {}
    for name, value in changes.items():
        target = _TO_PROSPECT_FIELD.get(name)
        if target is None:
            continue
        if value is not None and name == "phone":
            value = phone_for_resman(value)
        elif value is not None and name == "desired_move_in":
            value = date.fromisoformat(value)
        values[target] = value
    return ProspectFields(**values)


def new_prospect_fields(fields: Mapping[str, Any]) -> ProspectFields:
    """The values of a MITS create: every known (non-None, valid) field."""
    known = {
        name: value
        for name, value in fields.items()
        if value is not None and not isinstance(value, InvalidValue)
    }
    return fields_to_prospect_fields(known)


class StatusChange(StrEnum):
    """A qualification change, which ResMan takes as an event, not as a field."""

    LOST = "lost"
    """Post `build_lost` (Customer Type=lost + Cancel with a lost-reason id)."""
    REACTIVATE = "reactivate"
    """Post `build_reactivate` (ReActivate event)."""


def resman_status_change(changes: Mapping[str, Any]) -> StatusChange | None:
    """The ResMan event a qualification change needs, if the changes carry one."""
    if "qualification" not in changes:
        return None
    if changes["qualification"] == QUALIFICATION_LOST:
        return StatusChange.LOST
    return StatusChange.REACTIVATE


# --------------------------------------------------------------------------- judging


SEVERITY: Mapping[str, ConflictSeverity] = {
    "first_name": ConflictSeverity.HIGH,
    "last_name": ConflictSeverity.HIGH,
    "email": ConflictSeverity.HIGH,
    "phone": ConflictSeverity.HIGH,
    "qualification": ConflictSeverity.HIGH,
    "desired_move_in": ConflictSeverity.MEDIUM,
    "desired_bedrooms": ConflictSeverity.MEDIUM,
    "desired_bathrooms": ConflictSeverity.MEDIUM,
    "max_rent": ConflictSeverity.MEDIUM,
    "pets": ConflictSeverity.MEDIUM,
    "notes": ConflictSeverity.LOW,
}
"""Qualification is high: a wrong pick either drops a live lead from every agent's list
or has agents chase someone who was ruled out."""


def severity_for(field: str) -> ConflictSeverity:
    """How much a wrong pick on this field would hurt; unknown fields count as medium."""
    return SEVERITY.get(field, ConflictSeverity.MEDIUM)


def _usable(value: Any) -> bool:
    return value is not None and not isinstance(value, InvalidValue)


def _name_key(record: Mapping[str, Any]) -> tuple[str, str] | None:
    first, last = record.get("first_name"), record.get("last_name")
    if not (_usable(first) and _usable(last)):
        return None
    return str(first).casefold(), str(last).casefold()


def duplicate_matches(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> tuple[str, ...]:
    """Which of ResMan's duplicate rules two normalised records meet: `email` (equal,
    non-empty), `phone` (same number) and `name` (first and last, case-insensitive)."""
    matched = [
        key for key in ("email", "phone") if _usable(ours.get(key)) and ours[key] == theirs.get(key)
    ]
    name = _name_key(ours)
    if name is not None and name == _name_key(theirs):
        matched.append("name")
    return tuple(matched)
