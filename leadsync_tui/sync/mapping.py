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

Each field's rules are in `normalisers` (one normaliser per field). Empty strings are
None. A value that cannot be carried to the other side becomes an `InvalidValue` marker
(never raised out of the `*_to_fields` functions), which the merge turns into a
`format_invalid` conflict for a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from leadsync_tui import phones
from leadsync_tui.clients.mits import NumberRange, Prospect, ProspectFields
from leadsync_tui.config import SYNCED_FIELDS
from leadsync_tui.models import ConflictSeverity, Lead, Qualification
from leadsync_tui.sync.normalisers import (
    NORMALISERS,
    QUALIFICATION_ACTIVE,
    QUALIFICATION_LOST,
    InvalidFieldValue,
)

PHONE_TYPE_PREFERENCE: tuple[tuple[str, ...], ...] = (
    ("cell", "mobile", "cellular", "cellphone"),
    ("home", "personal", "evening"),
    ("work", "office", "business", "day"),
)
"""Which ResMan phone is DomIQ's one phone: mobile first, then home, then work, then any."""


# --------------------------------------------------------------------------- markers


@dataclass(frozen=True)
class InvalidValue:
    """Stands in a fields dict for a value that failed normalisation."""

    raw: Any
    reason: str


def is_invalid(value: Any) -> bool:
    return isinstance(value, InvalidValue)


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


phone_for_resman = phones.phone_for_resman
phone_digits_for_search = phones.phone_digits_for_search


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
