"""What set-up reads from both systems: ResMan's properties, lost reasons and, per
property, its prospect sources and employees; DomIQ's property ids (from its leads).

Read once per run and looked up in memory, so a check of many properties makes one
GetProperties and one GetLostProspectReasons call, not one per property.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from leadsync_tui.clients.domiq import DomiqClient
from leadsync_tui.clients.resman import (
    Employee,
    LostReason,
    PropertyInfo,
    ProspectSource,
    ResmanClient,
)
from leadsync_tui.setup.proposals import guid_key

DOMIQ_PAGE = 500


@dataclass
class ResmanCatalog:
    """One account as ResMan lists it; sources and employees for the properties asked."""

    account_id: int
    properties: list[PropertyInfo]
    lost_reasons: list[LostReason]
    sources: dict[str, list[ProspectSource]] = field(default_factory=dict)
    employees: dict[str, list[Employee]] = field(default_factory=dict)

    def property(self, property_id: str) -> PropertyInfo | None:
        wanted = guid_key(property_id)
        return next((p for p in self.properties if guid_key(p.property_id) == wanted), None)

    def find_property(self, text: str) -> PropertyInfo | None:
        """By PropertyID, else by exact name (any case): what `--pair` may name."""
        found = self.property(text)
        if found is not None:
            return found
        named = [p for p in self.properties if p.name.strip().casefold() == text.strip().casefold()]
        return named[0] if len(named) == 1 else None

    def sources_of(self, property_id: str) -> list[ProspectSource]:
        return self.sources.get(guid_key(property_id), [])

    def employees_of(self, property_id: str) -> list[Employee]:
        return self.employees.get(guid_key(property_id), [])

    def lost_reason(self, reason_id: str) -> LostReason | None:
        wanted = guid_key(reason_id)
        return next((r for r in self.lost_reasons if guid_key(r.id) == wanted), None)


async def read_account(resman: ResmanClient) -> ResmanCatalog:
    """Properties and lost reasons: the first call also proves the credentials."""
    properties = await resman.properties()
    reasons = await resman.lost_reasons()
    return ResmanCatalog(resman.account_id, properties, reasons)


async def read_properties(
    resman: ResmanClient, catalog: ResmanCatalog, property_ids: Iterable[str]
) -> None:
    """Add the sources and employees of those of `property_ids` the account has."""
    wanted = {
        guid_key(p.property_id): p.property_id
        for p in (catalog.property(i) for i in property_ids)
        if p is not None and guid_key(p.property_id) not in catalog.sources
    }

    async def one(key: str, property_id: str) -> None:
        sources, employees = await asyncio.gather(
            resman.prospect_sources(property_id), resman.employees(property_id)
        )
        catalog.sources[key] = sources
        catalog.employees[key] = employees

    await asyncio.gather(*(one(key, pid) for key, pid in wanted.items()))


async def domiq_properties(domiq: DomiqClient) -> Counter[str]:
    """DomIQ's property ids with how many leads each has (DomIQ has no property list)."""
    counts: Counter[str] = Counter()
    async for lead in domiq.iter_leads(page_size=DOMIQ_PAGE):
        counts[lead.property_id] += 1
    return counts
