"""Running a command from the palette in tests: type, wait for the search to settle on the
wanted entry, press enter (no fixed pause: the search's batching takes as long as it takes)."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot

from tests.waiting import eventually


def palette_settled_on(app: App[Any], words: str) -> bool:
    """The palette's search is over and its first entry starts with `words`."""
    palette = app.screen
    if not isinstance(palette, CommandPalette):
        return False
    if any(worker.node is palette and not worker.is_finished for worker in app.workers):
        return False
    options = palette.query_one(CommandList)
    if not options.option_count:
        return False
    first = str(options.get_option_at_index(0).prompt).lower().replace(" ", "")
    return first.startswith(words.lower().replace(" ", ""))


async def run_from_palette(pilot: Pilot[Any], words: str) -> None:
    """`ctrl+p`, type `words`, enter on the first match once the list is final."""
    app = pilot.app
    await pilot.press("ctrl+p", *words.replace(" ", ""))
    await eventually(lambda: palette_settled_on(app, words))
    await pilot.press("enter")
    await eventually(lambda: not isinstance(app.screen, CommandPalette))
    await pilot.pause()
