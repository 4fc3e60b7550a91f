"""The `Date` header on every ResMan answer, from the simulated account's clock.

ResMan's IIS front door stamps each response with its own time (RFC 9110 `Date`, to the
second, GMT), the same clock that writes the `LastModified` stamps its SearchProspects
Modified window tests. A client that must not trust its own clock reads ResMan's time
there. The simulator takes it from `ResmanState.now`, so a test that sets the sim's
clock apart from the engine's sees what a skewed machine sees in production.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.utils import format_datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def http_date(moment: datetime) -> str:
    """`Fri, 04 Dec 2026 18:15:02 GMT` (an aware datetime; sub-seconds dropped)."""
    return format_datetime(moment.replace(microsecond=0), usegmt=True)


class DateHeader:
    """ASGI middleware: every HTTP response gets `Date` from `now` (replacing any)."""

    def __init__(self, app: ASGIApp, now: Callable[[], datetime]) -> None:
        self.app = app
        self.now = now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
                headers.append((b"date", http_date(self.now()).encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, stamped)
