"""The one vocabulary both sides of a demo world are compared in.

E.164 phones, dates, whole dollars, pets as True/None, qualification as active/lost:
how leadsync's mapping reads DomIQ's leads and ResMan's guest cards, so a test or the
activity generator can say "these agree" without the sync's own code.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from leadsync_tui.config import SYNCED_FIELDS
from leadsync_tui.models import (
    Lead,
    Qualification,
)
from leadsync_tui.phones import PhoneError, normalise_phone, phone_for_resman
from leadsync_tui.sim.people import (
    NOTES,
    make_phone,
)
from leadsync_tui.sim.resman import Pet, Prospect


def _e164(stored: str) -> str | None:
    """A stored ResMan phone in E.164, as leadsync's mapping reads it; a number no plan
    allows keeps its digits (a plus in front), so it still compares unequal."""
    try:
        return normalise_phone(stored)
    except PhoneError:
        found = "".join(c for c in stored if c.isdigit())
        return "+" + found if found else None


def lead_values(lead: Lead) -> dict[str, Any]:
    """A lead's synced fields (`SYNCED_FIELDS`) in the shared vocabulary."""
    values: dict[str, Any] = {name: getattr(lead, name) for name in SYNCED_FIELDS}
    values["email"] = lead.email.lower() if lead.email else None
    values["pets"] = True if lead.pets else None
    values["notes"] = lead.notes or None
    lost = lead.qualification is Qualification.DISQUALIFIED
    values["qualification"] = "lost" if lost else "active"
    return values


def prospect_values(prospect: Prospect) -> dict[str, Any]:
    """A guest card's synced fields, read as leadsync's mapping reads them."""
    person, prefs = prospect.main, prospect.preferences
    phone = next(
        (person.phones[k] for k in ("Mobile", "Home", "Work") if person.phones.get(k)), None
    )
    values: dict[str, Any] = {
        "first_name": person.first_name or None,
        "last_name": person.last_name or None,
        "email": person.email.lower() if person.email else None,
        "phone": _e164(phone) if phone else None,
        "desired_move_in": prefs.target_move_in_date,
        "desired_bedrooms": prefs.bedrooms_min,
        "desired_bathrooms": prefs.bathrooms_min,
        "max_rent": prefs.max_rent,
        "pets": True if prefs.pets else None,
        "notes": prefs.comments or None,
        "qualification": "lost" if prospect.lost_date is not None else "active",
    }
    return {name: values[name] for name in SYNCED_FIELDS}


def resman_changes(field_name: str, value: Any) -> dict[str, Any]:
    """`ResmanState.edit_prospect` keywords that set one synced field to `value`."""
    if field_name == "phone":
        return {"phones": {"Mobile": phone_for_resman(value) if value else ""}}
    if field_name == "desired_bedrooms":
        return {"bedrooms_min": value, "bedrooms_max": value}
    if field_name == "desired_bathrooms":
        return {"bathrooms_min": value, "bathrooms_max": value}
    if field_name == "pets":
        return {"pets": [Pet("Dog")] if value else []}
    if field_name == "desired_move_in":
        return {"target_move_in_date": value}
    if field_name == "max_rent":
        return {"max_rent": value}
    if field_name == "notes":
        return {"comments": value or ""}
    if field_name in ("first_name", "last_name", "email"):
        return {field_name: value or ""}
    raise ValueError(f"{field_name} is not a guest-card field (qualification is an event)")


def other_value(rng: random.Random, field_name: str, avoid: list[Any], today: date) -> Any:
    """A realistic value for `field_name` that equals none of `avoid` (never None)."""
    for _ in range(100):
        candidate = _draw_value(rng, field_name, avoid, today)
        if candidate not in avoid:
            return candidate
    raise RuntimeError(f"could not draw a new value for {field_name}")  # pragma: no cover


def _draw_value(rng: random.Random, field_name: str, avoid: list[Any], today: date) -> Any:
    base = next((v for v in avoid if v is not None), None)
    if field_name == "phone":
        return make_phone(rng)
    if field_name == "desired_move_in":
        start = base if isinstance(base, date) else today + timedelta(days=30)
        moved = start + timedelta(days=rng.choice((-1, 1)) * rng.randrange(7, 45))
        soonest = today + timedelta(days=7)  # nobody asks to move in last week
        return moved if moved >= soonest else soonest + timedelta(days=rng.randrange(0, 60))
    if field_name == "max_rent":
        rent = base if isinstance(base, int) else 1800
        return max(900, rent + rng.choice((-1, 1)) * rng.randrange(50, 400, 25))
    if field_name == "desired_bedrooms":
        return rng.randrange(0, 5)
    if field_name == "notes":
        return rng.choice([n for n in NOTES if n is not None])
    raise ValueError(f"no value generator for {field_name}")
