"""How the simulated ResMan finds prospects: `SearchProspects`' filters, the comm log
it shows, and the duplicate rule a post is checked against.

Kept apart from the writes because these rules copy RM-SQL's quirks (collation, phone
digits, the Modified window's OR per bound) and are read on their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from leadsync_tui.sim.resman.account import Account
from leadsync_tui.sim.resman.records import (
    Event,
    Prospect,
    as_utc,
    digits,
    normalize_guid,
    sql_equal,
)


class ProspectMatching(Account):
    """The account's read side: searches and duplicate checks over its prospects."""

    def search(
        self,
        property_id: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        address: str | None = None,
        prospect_id: str | None = None,
        person_id: str | None = None,
        modified_start: datetime | None = None,
        modified_end: datetime | None = None,
    ) -> list[Prospect]:
        """`API_SearchProspects`' filters, ANDed; each text filter may hit any person.

        Names, email and address compare like SQL Server's default collation. Phone
        compares the digits of the stored numbers with `phone` as given: the stored
        procedure does not normalise its parameter, so "5125550143" finds a stored
        "(512) 555-0143" and "(512) 555-0143" finds nothing. The Modified window is
        `(P.LM >= start OR any person LM >= start) AND (P.LM <= end OR any person LM <=
        end)`: the OR is evaluated separately for each bound, as RM-SQL does, so a
        prospect can match through two different stamps. Both bounds are inclusive.
        """
        wanted_property = normalize_guid(property_id)
        start = as_utc(modified_start) if modified_start else None
        end = as_utc(modified_end) if modified_end else None
        found: list[Prospect] = []
        for prospect in self._prospects.values():
            if prospect.property_id != wanted_property:
                continue
            persons = prospect.persons
            stamps = [prospect.last_modified, *(p.last_modified for p in persons)]
            checks = (
                first_name is None or any(sql_equal(p.first_name, first_name) for p in persons),
                last_name is None or any(sql_equal(p.last_name, last_name) for p in persons),
                email is None or any(sql_equal(p.email, email) for p in persons if p.email),
                phone is None
                or (
                    phone != ""
                    and any(sql_equal(digits(n), phone) for p in persons for n in p.phones.values())
                ),
                address is None
                or any(
                    p.address is not None and sql_equal(p.address.line1, address) for p in persons
                ),
                prospect_id is None or prospect.prospect_id == normalize_guid(prospect_id),
                person_id is None or prospect.person(person_id) is not None,
                start is None or any(s >= start for s in stamps),
                end is None or any(s <= end for s in stamps),
            )
            if all(checks):
                found.append(prospect)
        return found

    def visible_events(
        self, prospect: Prospect, *, start: datetime | None = None, end: datetime | None = None
    ) -> list[Event]:
        """The comm log SearchProspects shows: employee-made entries inside [start, end]."""
        low = as_utc(start) if start else None
        high = as_utc(end) if end else None
        return sorted(
            (
                e
                for e in prospect.events
                if e.agent_id is not None
                and (low is None or e.event_date >= low)
                and (high is None or e.event_date <= high)
            ),
            key=lambda e: e.event_date,
        )

    def counts(self) -> dict[str, int]:
        prospects = self._prospects.values()
        return {
            "prospects": len(prospects),
            "persons": sum(len(p.persons) for p in prospects),
            "events": sum(len(p.events) for p in prospects),
        }

    def duplicates_of(
        self, property_id: str, people: Iterable[tuple[str, str, str, Iterable[str]]]
    ) -> Prospect | None:
        """ResMan's `GetMatchingProspects` rule, within one property.

        Each candidate is (first, last, email, phone numbers); a prospect matches when any
        of its persons shares first+last name, a non-empty email, or a phone's digits.
        """
        wanted = normalize_guid(property_id)
        candidates = [(f, last, e, {digits(n) for n in ns} - {""}) for f, last, e, ns in people]
        for prospect in self._prospects.values():
            if prospect.property_id != wanted:
                continue
            for person in prospect.persons:
                stored_digits = {digits(n) for n in person.phones.values()} - {""}
                for first, last, email, phone_digits in candidates:
                    if (
                        (sql_equal(person.first_name, first) and sql_equal(person.last_name, last))
                        or (email and person.email and sql_equal(person.email, email))
                        or (phone_digits & stored_digits)
                    ):
                        return prospect
        return None
