"""Which ResMan property, source and agent a DomIQ property's leads go to, from
`[resman.properties]`, naming the exact config key when one is missing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from leadsync_tui.clients.errors import (
    ValidationFailed,
)
from leadsync_tui.config import ResmanProperty, ResmanSettings

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class PropertyTarget:
    """Where and how a DomIQ property's new leads go in ResMan."""

    domiq_property_id: str
    property_id: str
    source_id: str
    agent_id: str


class MappingMissing(ValidationFailed):
    """`[resman.properties]` lacks what a call needs; `field` is the config key to set."""


def config_table(domiq_property_id: str) -> str:
    key = domiq_property_id
    quoted = key if _BARE_KEY.match(key) else json.dumps(key)
    return f"[resman.properties.{quoted}]"


class PropertyMapping:
    """DomIQ property id -> ResMan PropertyID, default source and agent (from config)."""

    def __init__(self, properties: Mapping[str, ResmanProperty]) -> None:
        self._properties = dict(properties)

    @classmethod
    def from_settings(cls, settings: ResmanSettings) -> PropertyMapping:
        return cls(settings.properties)

    @property
    def domiq_property_ids(self) -> list[str]:
        return list(self._properties)

    def property_id(self, domiq_property_id: str) -> str:
        """The ResMan PropertyID (enough for searches and updates)."""
        entry = self._properties.get(domiq_property_id)
        if entry is None:
            table = config_table(domiq_property_id)
            raise MappingMissing(
                f"no ResMan property for DomIQ property {domiq_property_id}: add {table} "
                "with property_id (the ResMan PropertyID), source_id and agent_id",
                field=f"resman.properties.{domiq_property_id}.property_id",
            )
        return entry.property_id

    def for_create(self, domiq_property_id: str) -> PropertyTarget:
        """PropertyID, source and agent for a new prospect, or `MappingMissing` naming
        exactly which keys to set."""
        property_id = self.property_id(domiq_property_id)
        entry = self._properties[domiq_property_id]
        missing = [
            (key, label)
            for key, label, value in (
                ("source_id", "prospect source", entry.source_id),
                ("agent_id", "agent", entry.agent_id),
            )
            if not (value or "").strip()
        ]
        if missing:
            what = " and no ResMan ".join(label for _, label in missing)
            keys = " and ".join(key for key, _ in missing)
            raise MappingMissing(
                f"no ResMan {what} for property {domiq_property_id}: "
                f"set {config_table(domiq_property_id)} {keys}",
                field=f"resman.properties.{domiq_property_id}.{missing[0][0]}",
            )
        assert entry.source_id is not None and entry.agent_id is not None
        return PropertyTarget(domiq_property_id, property_id, entry.source_id, entry.agent_id)

    def domiq_property_id(self, resman_property_id: str) -> str | None:
        """The DomIQ property a ResMan PropertyID belongs to (GUIDs compare any case)."""
        wanted = resman_property_id.strip().strip("{}").lower()
        for domiq_id, entry in self._properties.items():
            if entry.property_id.strip().strip("{}").lower() == wanted:
                return domiq_id
        return None
