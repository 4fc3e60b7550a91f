"""Keys typed in a burst go where the user meant them: each after the one before it.

Textual forwards a key to the widget focused when the app reads it from the terminal,
and a key that moves the focus (`tab`, `1` in the conflict dialog, `n` opening the
new-lead form) does so only once the widgets it bubbles through have handled it, and
the focus change itself is one more message later. Keys that arrived together (typed
ahead, a laggy SSH link) were all forwarded to the old focus: a name typed right after
`tab` landed in the previous field, a reason typed right after `tab` in the conflict
dialog was swallowed by the radio buttons.

`KeyOrder` holds every key that arrives while the one before it is still being handled,
and hands the next one to the app only once the widgets it went to have nothing left to
do (the key, what it set off, the focus change), as if typed slowly.
A screen that never goes quiet (live updates) releases the next key after a bounded
number of rounds, so typing is never stuck. Keys typed at a screen that an earlier key
of the burst closed are dropped, not replayed on the screen below (`enter enter` in the
command palette runs one command; it does not also open the lead under the cursor).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from textual import events
from textual.app import App
from textual.screen import Screen

from leadsync_tui.event_wait import wait_for_event

MAX_ROUNDS = 24
"""Rounds of "every node handled what it had" waited for one key: enough for a key to
bubble from the deepest field to the app and for what it posted to be handled."""

ROUND_TIMEOUT_S = 0.5
"""One round waits at most this long (a node that never answers holds no key for ever)."""


class KeyOrder:
    """Holds the keys of a burst and releases them to `app` one settled key at a time."""

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._held: deque[tuple[events.Key, Screen[Any] | None]] = deque()
        """Keys waiting their turn, each with the screen in front when it arrived."""
        self._busy = False
        self._releasing: events.Key | None = None
        self._task: asyncio.Task[None] | None = None

    def admit(self, event: events.Key) -> bool:
        """Whether the app handles this key from the terminal now (else it is held, and
        comes back through the app's queue when its turn comes)."""
        if event is self._releasing:
            self._releasing = None
            self._start()
            return True
        if self._busy or self._held:
            self._held.append((event, self._front()))
            return False
        self._start()
        return True

    @property
    def idle(self) -> bool:
        """No key held, none being handled."""
        return not self._busy and not self._held

    def stop(self) -> None:
        """The app is closing: held keys are dropped, the wait ends."""
        self._held.clear()
        if self._task is not None:
            self._task.cancel()

    def _start(self) -> None:
        self._busy = True
        self._task = asyncio.create_task(self._settle())

    async def _settle(self) -> None:
        try:
            for _ in range(MAX_ROUNDS):
                if not await self._round() or self._quiet():
                    break
        finally:
            self._busy = False
            self._release_next()

    def _front(self) -> Screen[Any] | None:
        try:
            return self._app.screen
        except Exception:  # no screen (closing)
            return None

    def _nodes(self) -> list[Any]:
        """Where a key is handled: the focused widget and its ancestors up to the
        screen in front (a key bubbles along them), and the app (bindings, focus)."""
        screen = self._front()
        if screen is None:
            return [self._app]
        focused = screen.focused
        chain = [] if focused is None else list(focused.ancestors_with_self)
        nodes = [self._app, screen, *(node for node in chain if node is not screen)]
        return [node for node in nodes if node.is_running]  # a closed one never answers

    def _quiet(self) -> bool:
        """Nothing left to handle anywhere in front: what the key set off in other
        widgets (a list's selection, a form's check) is done too."""
        screen = self._front()
        nodes = (
            [self._app] if screen is None else [self._app, *screen.walk_children(with_self=True)]
        )
        return all(node._message_queue.empty() for node in nodes if node.is_running)

    async def _round(self) -> bool:
        """The key's widgets handle what they had queued (the others go on meanwhile);
        False when the app is closing."""
        if not self._app.is_running:
            return False
        pending = 0
        done = asyncio.Event()

        def answered() -> None:
            nonlocal pending
            pending -= 1
            if pending == 0:
                done.set()

        for node in self._nodes():
            if node.call_later(answered):
                pending += 1
        if pending == 0:
            return False
        await wait_for_event(done, ROUND_TIMEOUT_S)
        return True

    def _release_next(self) -> None:
        stack = self._app.screen_stack
        while self._held and self._held[0][1] not in stack:
            self._held.popleft()  # typed at a screen that has closed since
        if not self._held:
            return
        event, _ = self._held.popleft()
        self._busy = True
        self._releasing = event
        if not self._app.post_message(event):
            self._held.clear()
            self._busy = False
            self._releasing = None
