"""Typing text into the focused widget the way a paste or a fast typist delivers it.

Pilot's `press` waits for the whole process to go idle after every key (at least 40 ms a
key, up to a second when the in-process simulators are busy): typing an email that way
spent most of a form test's time asleep. Here the keys are built as `press` builds them
and handed to the app together, in order; one pause then waits until they are handled.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from textual import events
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.pilot import Pilot
from textual.widgets import Input


def key_event(key: str) -> events.Key:
    """The event `Pilot.press(key)` sends for one character or key name."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    try:
        char: str | None = unicodedata.lookup(
            _get_unicode_name_from_key(REPLACED_KEYS.get(key, key))
        )
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


TYPED_WITHIN_PAUSES = 200
"""Pauses to wait for a burst to land in an input (each a turn of a loaded machine)."""


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type `text` into the focused widget, then wait until the app has handled it: into
    an input, until its value shows the text (on a loaded machine one pause was not
    enough, and the rest of a burst landed in the field focused next)."""
    app = pilot.app
    driver = app._driver
    assert driver is not None
    target = app.focused
    before = target.value if isinstance(target, Input) else None
    for char in text:
        event = key_event(char)
        event.set_sender(app)
        driver.send_message(event)
    await pilot.pause()
    if not isinstance(target, Input) or before is None:
        return
    for _ in range(TYPED_WITHIN_PAUSES):
        if len(target.value) >= len(before) + len(text) or app.focused is not target:
            return
        await pilot.pause(0.01)


async def type_into(pilot: Pilot[Any], box: Input, text: str) -> None:
    """Focus `box`, then type `text` into it. `focus()` takes effect on a later turn of
    the app: keys sent before that went to the field focused before (on a loaded
    machine, an email's tail landed in the phone field)."""
    box.focus()
    for _ in range(TYPED_WITHIN_PAUSES):
        if pilot.app.focused is box:
            break
        await pilot.pause(0.01)
    await type_text(pilot, text)
