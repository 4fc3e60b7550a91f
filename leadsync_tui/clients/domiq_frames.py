"""What DomIQ's live feed sends, read one frame at a time: a `SyncEvent` the engine can
use, or `BadFrame` saying why not; and the feed's `ws(s)://` address.

Pure functions over text, apart from the connection loop (`domiq_feed.py`), so every
kind of broken frame is tested (and fuzzed) without a socket.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from leadsync_tui.clients.errors import MalformedResponse
from leadsync_tui.models import EventType, Lead, SyncEvent

_LEAD_EVENTS = (EventType.LEAD_CREATED, EventType.LEAD_UPDATED, EventType.CONVERSATION_QUALIFIED)


class BadFrame(MalformedResponse):
    """A live-feed frame that is not a readable DomIQ event; the message says why."""

    default_retryable = False


def parse_frame(raw: str | bytes) -> SyncEvent:
    """A frame as a `SyncEvent` the engine can use, or `BadFrame` saying why not.

    A lead event's lead is validated here, so a delivered event never fails later; a
    refused one leaves a gap in the ids, which the feed answers with a full pull.
    """
    if isinstance(raw, bytes):
        raise BadFrame(f"a binary frame of {len(raw)} bytes (DomIQ sends JSON text)")
    try:
        parsed: Any = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise BadFrame(f"not JSON ({reason})") from None
    if not isinstance(parsed, dict):
        raise BadFrame(f"a JSON {type(parsed).__name__}, not an event object")
    try:
        event = SyncEvent.model_validate(parsed)
    except ValidationError as exc:
        raise BadFrame(f"not an event ({_first_problem(exc)})") from None
    if event.type not in (EventType.RESYNC_REQUIRED, EventType.HEARTBEAT) and event.id is None:
        raise BadFrame(f"a {event.type} event without an id")
    if event.type in _LEAD_EVENTS:
        try:
            Lead.model_validate(event.data)
        except ValidationError as exc:
            raise BadFrame(
                f"a {event.type} event (id {event.id}) whose lead is unreadable "
                f"({_first_problem(exc)})"
            ) from None
    return event


def decode_frame(raw: str | bytes) -> SyncEvent | None:
    """`parse_frame`, with None instead of `BadFrame`."""
    try:
        return parse_frame(raw)
    except BadFrame:
        return None


def _first_problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "frame"
    return f"{exc.error_count()} problem(s), first: {where}: {first.get('msg', '?')}"


def events_url(base_url: str, since: int | None) -> str:
    """`http(s)://host/base` -> `ws(s)://host/base/v1/events[?since=N]`."""
    base = base_url.rstrip("/")
    if base.startswith("https://"):
        base = "wss://" + base.removeprefix("https://")
    elif base.startswith("http://"):
        base = "ws://" + base.removeprefix("http://")
    elif not base.startswith(("ws://", "wss://")):
        raise ValueError(f"DomIQ base_url needs an http(s):// scheme, got {base_url!r}")
    return f"{base}/v1/events" + (f"?since={since}" if since is not None else "")
