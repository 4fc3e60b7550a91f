"""What set-up proposes when a person did not say: pure functions over ResMan's lists.

- a property pairs with the ResMan property named like it (`prop_oakridge` ->
  "Oakridge Commons"), only when exactly one fits best;
- the prospect source is the active one named like DomIQ's chat ("DomIQ Chat");
- the agent is an integration employee ("DomIQ Integration", security group
  "Integration"), never a person's own login when an integration user exists;
- the lost reason is the one for leads that stopped answering ("Inactive (Lack of
  Response)"), as DWELL marks DomIQ-disqualified leads.
ResMan may list one person twice (`duplicates_of`): set-up warns rather than guesses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from leadsync_tui.clients.resman import Employee, LostReason, PropertyInfo, ProspectSource

_WORD = re.compile(r"[a-z0-9]+")
_NOISE = frozenset({"prop", "property", "properties", "domiq", "the", "apartments", "apts"})


def guid_key(value: str) -> str:
    """A ResMan id for comparison: GUIDs compare in any case, with or without braces."""
    return value.strip().strip("{}").lower()


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _NOISE]


def _name_score(domiq_id: str, name: str) -> int:
    """How well a DomIQ property id names a ResMan property (0 = not at all)."""
    ours, theirs = _words(domiq_id), _words(name)
    if not ours or not theirs:
        return 0
    joined_ours, joined_theirs = "".join(ours), "".join(theirs)
    if joined_ours == joined_theirs:
        return 3
    shared = set(ours) & set(theirs)
    if shared:
        return 1 + (len(shared) == len(set(ours)))
    return 1 if len(joined_ours) >= 4 and joined_ours in joined_theirs else 0


def propose_property(domiq_id: str, properties: Sequence[PropertyInfo]) -> PropertyInfo | None:
    """The one ResMan property named most like `domiq_id`; None when none or a tie."""
    scored = [(_name_score(domiq_id, p.name), p) for p in properties]
    best = max((score for score, _ in scored), default=0)
    winners = [p for score, p in scored if score == best]
    return winners[0] if best > 0 and len(winners) == 1 else None


def propose_source(sources: Sequence[ProspectSource]) -> ProspectSource | None:
    """The active source named like DomIQ's chat: "DomIQ Chat" before "DomIQ" before "Chat"."""

    def score(source: ProspectSource) -> int:
        words = set(_WORD.findall(source.name.lower()))
        return 2 * ("domiq" in words) + ("chat" in words)

    usable = [s for s in sources if s.is_active is not False and score(s) > 0]
    return max(usable, key=score, default=None)


def propose_agent(employees: Sequence[Employee]) -> Employee | None:
    """An integration employee: named for DomIQ, else in an integration/API group or role."""

    def score(employee: Employee) -> int:
        name = set(_WORD.findall(employee.name.lower()))
        group = set(_WORD.findall((employee.security_group or "").lower()))
        return 2 * ("domiq" in name) + bool((name | group) & {"integration", "api"})

    usable = [e for e in employees if score(e) > 0]
    return max(usable, key=score, default=None)


def duplicates_of(employee: Employee, employees: Sequence[Employee]) -> list[Employee]:
    """Other records ResMan lists for the same person (same name, or same email)."""
    name = employee.name.strip().casefold()
    email = (employee.email or "").strip().casefold()
    return [
        e
        for e in employees
        if guid_key(e.id) != guid_key(employee.id)
        and (
            (name and e.name.strip().casefold() == name)
            or (email and (e.email or "").strip().casefold() == email)
        )
    ]


def listed_twice(employee: Employee, employees: Sequence[Employee], where: str) -> str | None:
    """The warning when ResMan lists the chosen agent more than once (None otherwise)."""
    twins = duplicates_of(employee, employees)
    if not twins:
        return None
    ids = ", ".join(e.id for e in (employee, *twins))
    return (
        f"ResMan lists {employee.name} {len(twins) + 1} times at {where} ({ids}); "
        f"using {employee.id}: keep using the same one"
    )


def propose_lost_reason(reasons: Sequence[LostReason]) -> LostReason | None:
    """The reason for leads that stopped answering, which a DomIQ disqualification is."""
    for reason in reasons:
        text = reason.name.lower()
        if "inactive" in text or "lack of response" in text or "no response" in text:
            return reason
    return None
