"""The write fence: a check run right before every write request leaves for DomIQ or
ResMan (issue #14, one writer by lease).

The engine sets it (`fenced`) for its own tasks, and every task they start inherits it
through the context; other callers (a screen's own call) run unfenced. The check raises
`WriteFenced` when this process may no longer write: then nothing is sent, not even a
retry of a request that failed before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

WriteFence = Callable[[], Awaitable[None]]
"""Returns when the write may go; raises `WriteFenced` when it must not."""

_FENCE: ContextVar[WriteFence | None] = ContextVar("leadsync_write_fence", default=None)


class WriteFenced(Exception):
    """This process may not write to DomIQ or ResMan any more; the request was not sent."""


@contextmanager
def fenced(fence: WriteFence) -> Iterator[None]:
    """Writes made in this context (and in tasks it starts) pass `fence` first."""
    token = _FENCE.set(fence)
    try:
        yield
    finally:
        _FENCE.reset(token)


async def check_write_fence() -> None:
    """Run the current context's fence, if any (the clients call it before each write)."""
    fence = _FENCE.get()
    if fence is not None:
        await fence()
