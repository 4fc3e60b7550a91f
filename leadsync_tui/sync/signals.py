"""The signals a service manager sends `sync --headless` (systemd: `systemctl stop`,
`systemctl reload`).

- SIGTERM, SIGINT: stop claiming work; the writes in flight finish within the engine's
  grace (`[sync] request_timeout`), then the run ends and the process exits 0.
- SIGHUP: reload the configuration (`reload.Reloader`), one reload at a time; a SIGHUP
  that arrives during a reload runs one more after it, so the newest file always wins.
  A SIGHUP during start-up (before the engine runs) is kept and served once it does,
  never fatal (its default action would end the process).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from types import FrameType

from leadsync_tui.sync.engine import SyncEngine

logger = logging.getLogger(__name__)

Reload = Callable[[], Awaitable[None]]

_SignalHandler = Callable[[int, FrameType | None], object] | int | None


class HangupLatch:
    """Remembers a SIGHUP that came before the engine's own handlers were in place."""

    def __init__(self) -> None:
        self.pending = False

    def note(self, signum: int, frame: FrameType | None) -> None:
        self.pending = True

    def take(self) -> bool:
        """Whether a SIGHUP came since the last call."""
        pending, self.pending = self.pending, False
        return pending


@contextlib.contextmanager
def hangups_latched() -> Iterator[HangupLatch]:
    """From here to the end of the block a SIGHUP is noted in the latch (or, while the
    engine runs, handled by `engine_signals`); the previous handler is restored after."""
    latch = HangupLatch()
    if threading.current_thread() is not threading.main_thread():
        yield latch  # signals reach the main thread only: nothing to install
        return
    previous: _SignalHandler = signal.signal(signal.SIGHUP, latch.note)
    try:
        yield latch
    finally:
        signal.signal(signal.SIGHUP, previous if previous is not None else signal.SIG_DFL)


class _Reloads:
    """Runs reloads one at a time; a request during one queues exactly one more."""

    def __init__(self, reload: Reload) -> None:
        self._reload = reload
        self._task: asyncio.Task[None] | None = None
        self._again = False

    def request(self) -> None:
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._run(), name="leadsync-reload")

    async def _run(self) -> None:
        while True:
            self._again = False
            try:
                await self._reload()
            except Exception:  # a reload must never end the engine
                logger.exception("configuration reload failed")
            if not self._again:
                return

    async def finish(self) -> None:
        """Let a reload under way end (it only swaps settings: quick)."""
        if self._task is not None:
            self._again = False
            with contextlib.suppress(Exception):
                await self._task


@contextlib.asynccontextmanager
async def engine_signals(
    engine: SyncEngine, reload: Reload | None = None, latch: HangupLatch | None = None
) -> AsyncIterator[None]:
    """SIGTERM and SIGINT ask the engine to stop after the items in flight; SIGHUP
    runs `reload` (when given; a SIGHUP noted in `latch` during start-up runs it now)."""
    loop = asyncio.get_running_loop()
    installed: list[int] = []
    stops: set[asyncio.Task[None]] = set()
    reloads = _Reloads(reload) if reload is not None else None

    def stop() -> None:
        task = loop.create_task(engine.stop())
        stops.add(task)
        task.add_done_callback(stops.discard)

    handlers: list[tuple[int, Callable[[], None]]] = [
        (signal.SIGTERM, stop),
        (signal.SIGINT, stop),
    ]
    if reloads is not None:
        handlers.append((signal.SIGHUP, reloads.request))
    for signum, handler in handlers:
        try:
            loop.add_signal_handler(signum, handler)
        except (NotImplementedError, RuntimeError, ValueError):
            continue
        installed.append(signum)
    if reloads is not None and latch is not None and latch.take():
        reloads.request()
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)  # back to the default action
        if signal.SIGHUP in installed and latch is not None:
            signal.signal(signal.SIGHUP, latch.note)  # still never fatal while shutting down
        if reloads is not None:
            await reloads.finish()
