"""The embedded ResMan simulator: a MITS 4.0 / Leasing / Account API over real HTTP.

`ResmanState` holds the account (seed it with `add_property`, `add_source`,
`add_employee`, `add_lost_reason`, `seed_prospect`); `create_resman_app` serves it.
"""

from __future__ import annotations

from leadsync_tui.sim.resman.app import create_resman_app
from leadsync_tui.sim.resman.control import SimSettings, SimStats
from leadsync_tui.sim.resman.records import (
    Address,
    Employee,
    Event,
    LostReason,
    Person,
    Pet,
    Preferences,
    Property,
    Prospect,
    ResmanStateError,
    Source,
)
from leadsync_tui.sim.resman.state import ResmanState

__all__ = [
    "Address",
    "Employee",
    "Event",
    "LostReason",
    "Person",
    "Pet",
    "Preferences",
    "Property",
    "Prospect",
    "ResmanState",
    "ResmanStateError",
    "SimSettings",
    "SimStats",
    "Source",
    "create_resman_app",
]
