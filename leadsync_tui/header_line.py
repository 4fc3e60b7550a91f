"""The header's line: the session, the masked marker, and who runs the sync engine.

At 160 columns it says everything in full; at 80 the header's title has about 60
columns (Textual's icon and clock space take the rest) and cut the engine's holder, or
"take over with ctrl+e", at its end. The line that fits is chosen in order: in full;
the role without the user's name; the engine in its short form; only the marker and
the engine. Who runs the engine is the last thing dropped.
"""

from __future__ import annotations

HEADER_CHROME = 18
"""Columns of the header that are not its title: the icon (8) and the clock space (10)."""


def header_room(width: int) -> int:
    """Columns the header's title has in a terminal `width` columns wide."""
    return max(width - HEADER_CHROME, 20)


def header_line(
    width: int,
    *,
    mode: str,
    access: tuple[str, str],
    masked: bool,
    engine: tuple[str, str],
) -> str:
    """The sub-title for a terminal `width` wide; `access` and `engine` in full and short
    (an empty engine: no engine in this window's session, a fixture store)."""
    marker = ["◌ masked"] if masked else []

    def line(*parts: str) -> str:
        return " · ".join(part for part in parts if part)

    candidates = [
        line(mode, access[0], *marker, engine[0]),
        line(mode, access[1], *marker, engine[0]),
        line(mode, access[1], *marker, engine[1]),
        line(*marker, engine[1]) if engine[1] else line(mode, access[1], *marker),
    ]
    room = header_room(width)
    return next((text for text in candidates if len(text) <= room), candidates[-1])
