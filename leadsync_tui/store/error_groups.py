"""The session's sync failures grouped by what went wrong: "12 rate limited, 3 mapping
missing", each with the leads it hit.

The log keeps an attempt's error as text only (`LeadSyncLog.error_message`; the outbox's
`last_error` is the same text), so the kind is read back from the wording the clients and
the sender use (`clients/errors.py`, `clients/_http.py`, `sync/send_*.py`): HTTP statuses,
the typed errors' fixed phrases, and ResMan's own `ErrorDescription` read by the same
classifier the ResMan client uses (`resman_rejections`). An unknown wording lands in
"other", never lost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from leadsync_tui.models import AttemptStatus, LeadSyncLog
from leadsync_tui.resman_rejections import RejectionKind, rejection_kind
from leadsync_tui.store.db import Database
from leadsync_tui.store.records import OutboxItem, OutboxStatus

PARKED_LIMIT = 100_000
"""Parked outbox items read at most (more would be a backlog no screen can show)."""


class ErrorKind(StrEnum):
    """A stable category of failure; the value is what the metrics screen shows."""

    RATE_LIMITED = "rate limited (429)"
    SERVER_ERROR = "server error (5xx)"
    TIMEOUT = "timed out"
    UNREACHABLE = "could not connect"
    MALFORMED = "malformed response"
    MAPPING_MISSING = "mapping missing (config)"
    VALIDATION = "value refused"
    AUTH = "credentials refused"
    NOT_FOUND = "not found"
    DUPLICATE = "duplicate person"
    SUPERSEDED = "superseded (merged again)"
    DISQUALIFIED = "disqualified (not sent)"
    REDIRECT = "redirect (check base_url)"
    SEARCH_TOO_BROAD = "search too broad"
    INTERNAL = "internal error"
    OTHER = "other"


_RULES: tuple[tuple[ErrorKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        (ErrorKind.INTERNAL, r"^cannot send: "),
        (ErrorKind.DISQUALIFIED, r"DomIQ disqualified this lead"),
        (ErrorKind.SUPERSEDED, r"changed the lead after this write|keeps changing|HTTP 412"),
        (ErrorKind.REDIRECT, r"redirect to .*not followed|HTTP 3\d\d "),
        (ErrorKind.SEARCH_TOO_BROAD, r"too many matches|buffer overflow"),
        (ErrorKind.RATE_LIMITED, r"HTTP 429|rate.?limit|too many requests"),
        (
            ErrorKind.MAPPING_MISSING,
            r"no ResMan (property|agent|prospect source)|set \[resman\.properties|"
            r"needs a (leasing agent|prospect source)|lost_reason_id|lost reason id",
        ),
        (ErrorKind.TIMEOUT, r"timed out|no complete answer within|HTTP 408"),
        (ErrorKind.UNREACHABLE, r"could not connect|connection failed"),
        (
            ErrorKind.MALFORMED,
            r"not valid JSON|not well-formed|answer shape|answer has no|post answer has no|"
            r"HTML page|empty body|content encoding|too large|exceeds the|bytes exceeds|"
            r"has root <|not a list of objects|carries a DTD",
        ),
        (ErrorKind.SERVER_ERROR, r"HTTP 5\d\d"),
        (ErrorKind.AUTH, r"refused the token|HTTP 40[13]\b"),
        (
            ErrorKind.DUPLICATE,
            r"HTTP 409|already linked|could be this lead|already in ResMan|duplicate link",
        ),
        (
            ErrorKind.NOT_FOUND,
            r"HTTP 404|not in the local store|no ResMan prospect linked|no longer has prospect|"
            r"has no main contact",
        ),
        (ErrorKind.VALIDATION, r"HTTP 4(00|22)\b|cannot be written|a new ResMan prospect needs"),
    )
)
_RESMAN_REFUSED = re.compile(r"ResMan refused: (?:\w+: )?(?P<text>.*)", re.IGNORECASE | re.DOTALL)
_REJECTION_KINDS = {
    RejectionKind.AUTH: ErrorKind.AUTH,
    RejectionKind.VALIDATION: ErrorKind.VALIDATION,
    RejectionKind.NOT_FOUND: ErrorKind.NOT_FOUND,
    RejectionKind.DUPLICATE: ErrorKind.DUPLICATE,
    RejectionKind.TRANSIENT: ErrorKind.TIMEOUT,
    RejectionKind.UNKNOWN: ErrorKind.OTHER,
}
_SETTING_FIELDS = frozenset({"source_id", "agent_id", "lost_reason_id"})


def classify(message: str | None) -> ErrorKind:
    """The kind of failure an error message describes ("other" when none fits)."""
    text = (message or "").strip()
    if not text:
        return ErrorKind.OTHER
    refused = _RESMAN_REFUSED.search(text)
    if refused is not None:
        return _resman_kind(refused.group("text"))
    for kind, pattern in _RULES:
        if pattern.search(text):
            return kind
    return _resman_kind(text) if _looks_like_description(text) else ErrorKind.OTHER


def _resman_kind(description: str) -> ErrorKind:
    """ResMan's `ErrorDescription`, classified as the ResMan client does; a refused
    source, agent or lost reason is a per-property setting, so "mapping missing"."""
    kind, field = rejection_kind(description.strip())
    if kind is RejectionKind.VALIDATION and field in _SETTING_FIELDS:
        return ErrorKind.MAPPING_MISSING
    return _REJECTION_KINDS[kind]


def _looks_like_description(text: str) -> bool:
    """A bare ResMan description (the outbox of older versions kept only that)."""
    return rejection_kind(text.strip())[0] is not RejectionKind.UNKNOWN


@dataclass
class ErrorGroup:
    """Failures of one kind: how many, which leads, and the newest message as an example."""

    kind: ErrorKind
    attempts: int = 0
    """Failed attempts of this kind in the period."""
    parked: int = 0
    """Outbox items of this kind parked for a person (the metrics' "failed")."""
    conversation_ids: set[str] = field(default_factory=set)
    example: str = ""
    last_at: datetime | None = None

    @property
    def label(self) -> str:
        return self.kind.value

    @property
    def count(self) -> int:
        """What the list shows: attempts, or parked items when no attempt was logged."""
        return max(self.attempts, self.parked)

    def _add(self, conversation_id: str, message: str, at: datetime) -> None:
        self.conversation_ids.add(conversation_id)
        if self.last_at is None or at >= self.last_at:
            self.last_at = at
            self.example = message


def group_errors(
    logs: Iterable[LeadSyncLog], parked: Iterable[OutboxItem] = ()
) -> list[ErrorGroup]:
    """Failed attempts in `logs` and the `parked` outbox items, grouped by kind.

    Largest first (by count, then by leads hit), ties by name, so the list is stable.
    """
    groups: dict[ErrorKind, ErrorGroup] = {}
    for log in logs:
        if log.sync_status is not AttemptStatus.FAILED:
            continue
        message = log.error_message or ""
        kind = classify(message)
        group = groups.setdefault(kind, ErrorGroup(kind))
        group.attempts += 1
        group._add(log.conversation_id, message, log.created_at)
    for item in parked:
        if item.status is not OutboxStatus.FAILED:
            continue
        message = item.last_error or ""
        kind = classify(message)
        group = groups.setdefault(kind, ErrorGroup(kind))
        group.parked += 1
        group._add(item.conversation_id, message, item.updated_at)
    return sorted(groups.values(), key=lambda g: (-g.count, -len(g.conversation_ids), g.kind.value))


async def session_error_groups(db: Database, since: datetime) -> list[ErrorGroup]:
    """The groups of the attempts logged at or after `since`, plus every parked item
    (those wait for a person whenever they failed)."""
    logs = await db.recent_logs(since)
    parked = await db.outbox_items(status=OutboxStatus.FAILED, limit=PARKED_LIMIT)
    return group_errors(logs, parked)
