"""Realistic, seeded people for the simulators: names, contacts, wishes and chats.

Everything comes from one `random.Random`, so a seed gives the same people every time.
Phones use the 555-01xx range, reserved for fiction; emails use example domains.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

FIRST_NAMES = (
    "Maya", "Liam", "Sofia", "Noah", "Amara", "Ethan", "Priya", "Lucas", "Zara", "Mateo",
    "Chloe", "Kenji", "Aisha", "Diego", "Hannah", "Omar", "Grace", "Tomas", "Leila", "Owen",
    "Nadia", "Caleb", "Ines", "Samuel", "Yara", "Julian", "Mei", "Andre", "Elena", "Marcus",
    "Freya", "Rafael", "Imani", "Felix", "Lucia", "Dmitri", "Ada", "Kofi", "Rosa", "Theo",
)  # fmt: skip
LAST_NAMES = (
    "Okafor", "Nguyen", "Garcia", "Patel", "Johnson", "Kowalski", "Haddad", "Lindqvist",
    "Moreno", "Tanaka", "Brooks", "Adeyemi", "Rossi", "Schmidt", "Reyes", "Chen", "Murphy",
    "Silva", "Novak", "Hughes", "Osei", "Kim", "Fischer", "Castillo", "Baptiste", "Ivanova",
    "Walsh", "Mensah", "Dubois", "Larsen", "Abara", "Romero", "Sato", "Greene", "Petrov",
)  # fmt: skip
EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example")
AREA_CODES = ("512", "737", "214", "469", "713", "281", "210", "602", "480", "303")
SOURCES = ("website_chat", "website_chat", "website_chat", "sms", "voice", "ils")
NOTES = (
    "Wants a ground floor unit.",
    "Works from home; asks about internet speed.",
    "Needs covered parking for two cars.",
    "Has a 40 lb dog.",
    "Prefers a unit facing the courtyard.",
    "Relocating for a new job downtown.",
    "Asked about the short-term lease premium.",
    "Would like an in-unit washer and dryer.",
    "Moving with a roommate; both on the lease.",
    "Asked whether utilities are included.",
    None,
    None,
)


@dataclass(frozen=True)
class PropertyInfo:
    """One apartment community, known to both systems under different ids."""

    domiq_id: str
    name: str
    street: str
    city: str
    state: str
    zip: str
    phone: str
    email: str
    manager: str


PROPERTIES = (
    PropertyInfo(
        "prop_oakridge", "Oakridge Commons", "1200 Oakridge Dr", "Austin", "TX", "78741",
        "+15125550100", "leasing@oakridge.example", "Dana Whitfield",
    ),
    PropertyInfo(
        "prop_lakeview", "Lakeview Terrace", "45 Shoreline Blvd", "Dallas", "TX", "75201",
        "+12145550100", "leasing@lakeview.example", "Marco Bell",
    ),
    PropertyInfo(
        "prop_riverbend", "Riverbend Lofts", "9 Mill St", "Houston", "TX", "77002",
        "+17135550100", "leasing@riverbend.example", "Ruth Amadi",
    ),
    PropertyInfo(
        "prop_summit", "Summit Ridge", "300 Peak Way", "Denver", "CO", "80202",
        "+13035550100", "leasing@summit.example", "Jonah Park",
    ),
)  # fmt: skip

AGENT_NAMES = ("Casey Morgan", "Jordan Ellis", "Riley Santos", "Avery Quinn")


@dataclass(frozen=True)
class PersonWishes:
    """One prospective renter: who they are and what they want."""

    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    desired_move_in: date | None
    desired_bedrooms: int | None
    desired_bathrooms: float | None
    max_rent: int | None
    pets: bool | None
    source: str
    notes: str | None


def make_phone(rng: random.Random) -> str:
    """A fictional E.164 US number (555-01xx)."""
    return f"+1{rng.choice(AREA_CODES)}55501{rng.randrange(100):02d}"


def make_person(rng: random.Random, today: date, serial: int) -> PersonWishes:
    """A seeded person; `serial` keeps emails unique across a world."""
    first = rng.choice(FIRST_NAMES)
    last = rng.choice(LAST_NAMES)
    has_email = rng.random() < 0.92
    has_phone = rng.random() < 0.85 or not has_email
    bedrooms = rng.choice((0, 1, 1, 2, 2, 2, 3))
    return PersonWishes(
        first_name=first,
        last_name=last,
        email=(
            f"{first.lower()}.{last.lower()}{serial}@{rng.choice(EMAIL_DOMAINS)}"
            if has_email
            else None
        ),
        phone=make_phone(rng) if has_phone else None,
        desired_move_in=(
            today + timedelta(days=rng.randrange(7, 150)) if rng.random() < 0.9 else None
        ),
        desired_bedrooms=bedrooms,
        desired_bathrooms=rng.choice((1.0, 1.0, 1.5, 2.0)) if bedrooms > 1 else 1.0,
        max_rent=rng.randrange(1100, 3200, 25) if rng.random() < 0.9 else None,
        pets=rng.random() < 0.35,
        source=rng.choice(SOURCES),
        notes=rng.choice(NOTES),
    )


def make_transcript(
    rng: random.Random, person: PersonWishes, property_name: str, start: datetime
) -> list[tuple[datetime, str, str]]:
    """A short qualifying chat as (at, role, text) lines, bot first."""
    at = start
    lines: list[tuple[datetime, str, str]] = []

    def say(role: str, text: str) -> None:
        nonlocal at
        lines.append((at, role, text))
        at += timedelta(seconds=rng.randrange(8, 90))

    say("bot", f"Hi! Thanks for your interest in {property_name}. How can I help?")
    beds = person.desired_bedrooms
    size = "a studio" if beds == 0 else f"a {beds}-bedroom"
    say("prospect", f"I'm looking for {size} apartment.")
    if person.desired_move_in:
        say("bot", "Great. When would you like to move in?")
        say("prospect", f"Around {person.desired_move_in:%B} {person.desired_move_in.day}.")
    if person.max_rent:
        say("bot", "Do you have a monthly budget in mind?")
        say("prospect", f"Up to ${person.max_rent:,} a month.")
    if person.pets:
        say("prospect", "I have a dog, is that OK?")
        say("bot", "Yes, we're pet friendly. There is a one-time pet fee.")
    say("bot", "May I have your name and the best way to reach you?")
    contact = person.email or person.phone or "I'd rather not say"
    say("prospect", f"{person.first_name} {person.last_name}, {contact}.")
    if person.notes:
        say("prospect", person.notes)
    say("bot", "Thank you! A leasing agent will follow up shortly.")
    return lines
