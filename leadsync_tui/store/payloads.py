"""What an outbox item asks the sender to do: one model per kind of write.

The payload is stored as JSON with its tag (`kind`), so the sender `match`es on the
model instead of sniffing keys, and a new kind of write is one new model here plus one
`case` in `sync.sender.Sender.send`. Rows written before the tag existed are tagged by
migration v5 (`store.db_schema.MIGRATIONS`), which infers the kind exactly as the sender used
to: a resolution by its sync type, then `report`, then `fields`, then `resync`, else a
link.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from leadsync_tui.models import ConflictType, Resolution


class _Payload(BaseModel):
    model_config = ConfigDict(frozen=True)


class FieldWrite(_Payload):
    """Field values to write to the other side (either way), as merged at `version`.

    `fields` maps mapped field names to normalised values; `version` is the DomIQ
    version merged (a write to DomIQ sends it as `If-Match`)."""

    kind: Literal["fields"] = "fields"
    fields: dict[str, Any]
    version: int


class LinkWrite(_Payload):
    """Create, adopt or link a lead's prospect (a first link, a create, a person's push):
    the lead is merged as it is when the item is sent. `version` is the lead's version
    when it was queued (it names the push in its dedupe key)."""

    kind: Literal["link"] = "link"
    version: int | None = None


class Resync(_Payload):
    """Merge the lead with its prospect again: ResMan changed it while it was busy
    (`resync` is the digest of ResMan's values), or a write to DomIQ was superseded
    (`resync` is `superseded:<outbox id>`)."""

    kind: Literal["resync"] = "resync"
    version: int | None = None
    resync: str


class StatusReport(_Payload):
    """Tell DomIQ where the lead stands, as held when the item is sent."""

    kind: Literal["report"] = "report"


class ResolutionWrite(_Payload):
    """A person's (or the policy's) decision on a conflict, written to one side.

    For a `duplicate_candidate` (`conflict_type` set), it is the decision about which
    prospect the lead is: create one, or link the chosen candidate(s) in `value`."""

    kind: Literal["resolution"] = "resolution"
    conflict_id: str
    field: str
    value: Any = None
    resolution: Resolution
    conflict_type: ConflictType | None = None


OutboxPayload = Annotated[
    FieldWrite | LinkWrite | Resync | StatusReport | ResolutionWrite,
    Field(discriminator="kind"),
]
"""Any outbox payload, told apart by `kind`."""

PAYLOAD: TypeAdapter[OutboxPayload] = TypeAdapter(OutboxPayload)
"""Reads a stored payload (`PAYLOAD.validate_json(text)`)."""
