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


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type `text` into the focused widget, then wait until the app has handled it."""
    app = pilot.app
    driver = app._driver
    assert driver is not None
    for char in text:
        event = key_event(char)
        event.set_sender(app)
        driver.send_message(event)
    await pilot.pause()
