"""A fixed set of 30 leads for the widget tests and snapshots, and a frozen clock.

Every sync status appears (six of each), with ages in every unit, phone-only and
contact-less leads, and one name long enough to be cut with "…".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadsync_tui.models import Lead, Qualification, SyncStatus

NOW = datetime(2026, 11, 2, 15, 0, 0, tzinfo=UTC)
"""The frozen "now" of every widget test."""

_PEOPLE = (
    ("Maya", "Okafor"), ("Liam", "Nguyen"), ("Sofia", "Garcia"), ("Noah", "Patel"),
    ("Amara", "Johnson"), ("Ethan", "Kowalski"), ("Priya", "Haddad"), ("Lucas", "Lindqvist"),
    ("Zara", "Moreno"), ("Mateo", "Tanaka"), ("Chloe", "Brooks"), ("Kenji", "Adeyemi"),
    ("Aisha", "Rossi"), ("Diego", "Schmidt"), ("Hannah", "Reyes"), ("Omar", "Chen"),
    ("Grace", "Murphy"), ("Tomas", "Silva"), ("Leila", "Novak"), ("Owen", "Hughes"),
    ("Nadia", "Osei"), ("Caleb", "Kim"), ("Ines", "Fischer"), ("Samuel", "Castillo"),
    ("Yara", "Baptiste"), ("Julian", "Ivanova"), ("Mei", "Walsh"), ("Andre", "Mensah"),
    ("Elena", "Dubois"), ("Maximiliana", "Featherstonehaugh-Worthington"),
)  # fmt: skip
_PROPERTIES = ("prop_oakridge", "prop_lakeview", "prop_riverbend", "prop_summit")
_STATUSES = tuple(SyncStatus)
_AGES = (
    timedelta(seconds=12),
    timedelta(minutes=5),
    timedelta(hours=3),
    timedelta(days=2),
    timedelta(minutes=47),
)


def sample_leads() -> list[Lead]:
    """The 30 leads, in arrival order (`conv_000` first)."""
    leads: list[Lead] = []
    for index, (first, last) in enumerate(_PEOPLE):
        status = _STATUSES[index % len(_STATUSES)]
        ever_synced = status is not SyncStatus.NOT_SYNCED
        email = None if index % 7 == 3 else f"{first.lower()}.{last.lower()}@example.com"
        phone = None if index in (5, 16, 24) else f"+1512555{index:04d}"
        leads.append(
            Lead(
                conversation_id=f"conv_{index:03d}",
                created_at=NOW - timedelta(days=30 - index),
                updated_at=NOW - timedelta(days=1),
                property_id=_PROPERTIES[index % len(_PROPERTIES)],
                first_name=first,
                last_name=last,
                email=email,
                phone=phone,
                qualification=tuple(Qualification)[index % 3],
                resman_sync_status=status,
                resman_prospect_id=(
                    f"7f3c{index:04d}-0000-4000-8000-00000000{index:04d}" if ever_synced else None
                ),
                last_sync_at=NOW - _AGES[(index + index // 5) % len(_AGES)]
                if ever_synced
                else None,
            )
        )
    return leads


def frozen_clock() -> datetime:
    return NOW
