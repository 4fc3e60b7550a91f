"""Who a new lead is in ResMan, from the prospects its search found: create, adopt or ask.

ResMan's own matcher (`GetMatchingProspects`, docs/resman-mits.md "Duplicates") calls a
prospect a *possible* duplicate when it shares a name, an email or any phone. A phone is
shared by a family, roommates, a recycled number; a name by strangers. So, with
`owner` the other conversation that already holds a prospect (linked to it here, created
for it by leadsync, or naming it in DomIQ):
- a prospect leadsync created for this very conversation is adopted (a create whose
  answer or commit was lost);
- a strong match (same email, or same phone and same last name) nobody holds is this
  person: adopted; several such ask a person which one;
- strong matches all held by other conversations ask a person (`duplicate_candidate`,
  field `LINKED_DUPLICATE_FIELD`): link this conversation to that prospect too, create a
  new prospect, or manual review. A second guest card is never made without a decision;
- possible matches only (phone alone, name alone) never block: a new prospect is created
  and the possible duplicates are noted in the lead's sync log.

Pure: the sender does the reads (search, links, claims) and carries the decision out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from leadsync_tui.clients.mits import Prospect
from leadsync_tui.sync.mapping import (
    duplicate_matches,
    normalise_field,
    prospect_to_fields,
)
from leadsync_tui.sync.merge import (
    LINKED_DUPLICATE_FIELD,
    FieldConflict,
    candidates_conflict,
)
from leadsync_tui.sync.plan import created_for


@dataclass(frozen=True)
class Candidate:
    """One prospect the search found, and how it matches the lead."""

    prospect: Prospect
    rules: tuple[str, ...]
    """ResMan's duplicate rules met: `email`, `phone` (any of the prospect's phones),
    `name` (first and last)."""
    same_last_name: bool
    owner: str | None
    """The other conversation that holds this prospect; None when nobody does."""

    @property
    def strong(self) -> bool:
        """Same email, or same phone and same last name: the same person, not a
        family member or a namesake."""
        return "email" in self.rules or ("phone" in self.rules and self.same_last_name)

    @property
    def prospect_id(self) -> str:
        return self.prospect.prospect_id

    def describe(self) -> str:
        """`<id> (same phone and last name, held by conversation cnv_x)`: ids and rule
        names only, no PII."""
        rules = list(self.rules)
        if self.same_last_name and "name" not in rules:
            rules.append("last name")
        how = "same " + " and ".join(rules) if rules else "found by ResMan's search"
        held = f", held by conversation {self.owner}" if self.owner else ""
        return f"{self.prospect_id} ({how}{held})"


@dataclass(frozen=True)
class Create:
    """Make a new prospect; `possible` are the matches that did not block it."""

    possible: tuple[Candidate, ...] = ()

    @property
    def note(self) -> str | None:
        """The sync log's note of the possible duplicates (None when there were none)."""
        if not self.possible:
            return None
        listed = ", ".join(c.describe() for c in self.possible)
        return (
            f"possible duplicate of ResMan prospect(s) {listed}: a shared phone or name "
            "alone is only a possible match for ResMan, so a new prospect was created"
        )


@dataclass(frozen=True)
class Adopt:
    """Link the lead to this prospect (ours, or a strong match nobody holds)."""

    candidate: Candidate


@dataclass(frozen=True)
class Ask:
    """A person decides: several strong matches nobody holds, or strong matches held by
    other conversations (`linked`)."""

    candidates: tuple[Candidate, ...]
    linked: bool

    def conflict(self, ours: Mapping[str, Any]) -> FieldConflict:
        """The `duplicate_candidate` a person resolves in the conflict dialog."""
        found = [(c.prospect_id, prospect_to_fields(c.prospect)) for c in self.candidates]
        rules = [rule for c in self.candidates for rule in c.rules]
        if not self.linked:
            return candidates_conflict(ours, found, rules)
        owners = {c.prospect_id: c.owner for c in self.candidates if c.owner}
        return candidates_conflict(ours, found, rules, field=LINKED_DUPLICATE_FIELD, owners=owners)

    @property
    def message(self) -> str:
        """The sync log's reason (ids only): why nothing was created, what to do."""
        listed = ", ".join(c.describe() for c in self.candidates)
        if self.linked:
            return (
                f"ResMan already holds this person: prospect {listed}; nothing was "
                "created: in the conflict dialog (c) link this conversation to it too, "
                "create a new prospect, or leave it for manual review"
            )
        return (
            f"{len(self.candidates)} ResMan prospects could be this lead ({listed}); "
            "nothing was created: choose one, or a new prospect, in the conflict dialog"
        )


Decision = Create | Adopt | Ask


def judge(ours: Mapping[str, Any], prospect: Prospect, owner: str | None) -> Candidate:
    """How one found prospect matches the lead (`ours`: its normalised fields)."""
    theirs = prospect_to_fields(prospect)
    rules = list(duplicate_matches(ours, theirs))
    phone = ours.get("phone")
    if "phone" not in rules and isinstance(phone, str) and phone in _phones(prospect):
        rules.insert(1 if "email" in rules else 0, "phone")
    last, their_last = ours.get("last_name"), theirs.get("last_name")
    same_last = (
        isinstance(last, str)
        and isinstance(their_last, str)
        and bool(last.strip())
        and last.casefold() == their_last.casefold()
    )
    return Candidate(prospect, tuple(rules), same_last, owner)


def decide(conversation_id: str, candidates: Sequence[Candidate]) -> Decision:
    """Create, adopt or ask (see the module's rules)."""
    ours = [c for c in candidates if created_for(c.prospect) == conversation_id]
    if ours:
        return Adopt(ours[0])
    strong = [c for c in candidates if c.strong]
    free = [c for c in strong if c.owner is None]
    if len(free) == 1:
        return Adopt(free[0])
    if free:
        return Ask(tuple(free), linked=False)
    if strong:
        return Ask(tuple(strong), linked=True)
    return Create(tuple(candidates))


def _phones(prospect: Prospect) -> set[str]:
    """Every phone of the prospect's main contact, normalised (unreadable ones left out)."""
    found = set()
    for phone in prospect.phones:
        value = normalise_field("phone", phone.number)
        if isinstance(value, str):
            found.add(value)
    return found
