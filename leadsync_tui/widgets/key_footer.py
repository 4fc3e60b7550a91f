"""`KeyFooter`: the footer that never hides `? help` and `^q quit`.

Textual's footer lays every binding out in order and cuts what does not fit, so at 80
columns a newcomer never saw how to get help or quit, and at 160 the last key was cut
mid-word. This one always shows help and quit (at the right), then as many of the
screen's other keys as fit whole, in a fixed order of how much they are used; a key that
does not fit is left out whole (the `?` help panel and the `ctrl+p` palette list them all).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PINNED = ("toggle_help", "quit")
"""Always shown, last: how to learn the rest, and how to leave."""
PRIORITY = (
    "select",
    "next_conflict",
    "request_filter",
    "retry",
    "toggle_mark",
    "new_lead",
    "open_conversation",
    "resolve",
    "submit",
    "escalate",
    "skip",
    "qualify",
    "confirm",
    "cancel",
    "back",
    "cycle_sort",
    "cycle_sort_reverse",
    "metrics",
    "bulk_resolve",
    "jump",
    "export",
    "command_palette",
)
"""The most used actions first; any other follows, in the screen's binding order."""


def key_width(key_display: str, description: str) -> int:
    """Columns a `FooterKey` takes: ` key ` then `description `."""
    return len(key_display) + len(description) + 3


class KeyFooter(Footer):
    """A `Footer` that keeps help and quit and cuts nothing mid-word (see module doc)."""

    DEFAULT_CSS = """
    KeyFooter FooterKey {
        margin-right: 1;
    }
    """

    def __init__(self) -> None:
        super().__init__(show_command_palette=False)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        shown: dict[str, Binding] = {}
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.show and enabled and binding.action not in shown:
                shown[binding.action] = binding
        pinned = [shown[action] for action in PINNED if action in shown]
        rest = [b for action, b in shown.items() if action not in PINNED]
        order = {action: rank for rank, action in enumerate(PRIORITY)}
        rest.sort(key=lambda b: order.get(b.action, len(PRIORITY)))
        room = self.size.width or self.app.size.width
        room -= sum(self._width(binding) for binding in pinned)
        chosen: list[Binding] = []
        for binding in rest:
            need = self._width(binding)
            if need > room:
                break  # a fixed order: a smaller key further down does not jump ahead
            chosen.append(binding)
            room -= need
        for binding in (*chosen, *pinned):
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                tooltip=binding.tooltip,
            )

    def _width(self, binding: Binding) -> int:
        return key_width(self.app.get_key_display(binding), binding.description)

    def on_resize(self) -> None:
        self.call_after_refresh(self.recompose)

    def keys(self) -> list[str]:
        """What the footer shows, as `key description` (for tests and the help text)."""
        return [f"{key.key_display} {key.description}" for key in self.query(FooterKey)]
