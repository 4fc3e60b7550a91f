"""No UI work bypasses `leadsync_tui.ui_work`: a scan of every module's syntax tree.

A `run_worker` call, Textual's `@work`, or a `push_screen` with a result callback
anywhere else would run with Textual's default (an exception ends the app and prints a
traceback with its local variables, customers' data among them)."""

from __future__ import annotations

import ast
from pathlib import Path

import leadsync_tui

PACKAGE = Path(leadsync_tui.__file__).parent
MECHANISM = PACKAGE / "ui_work.py"


def bypasses(path: Path) -> list[str]:
    """Where `path` runs UI work without the mechanism, as `file:line what`."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    where = path.relative_to(PACKAGE.parent) if path.is_relative_to(PACKAGE) else path.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "textual"
            and any(alias.name == "work" for alias in node.names)
        ):
            found.append(f"{where}:{node.lineno} imports textual.work")
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "work"
            and isinstance(node.value, ast.Name)
            and node.value.id == "textual"
        ):
            found.append(f"{where}:{node.lineno} uses textual.work")
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name = node.func.attr
        if name == "run_worker":
            found.append(f"{where}:{node.lineno} calls run_worker")
        has_callback = len(node.args) > 1 or any(k.arg == "callback" for k in node.keywords)
        if name in ("push_screen", "push_screen_wait") and has_callback:
            found.append(f"{where}:{node.lineno} pushes a screen with an unguarded callback")
    return found


def test_every_worker_and_screen_callback_goes_through_ui_work() -> None:
    found = [
        hit
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != MECHANISM and "sim" not in path.relative_to(PACKAGE).parts[:1]
        for hit in bypasses(path)
    ]
    assert found == []


def test_the_scan_sees_a_bypass(tmp_path: Path) -> None:
    """The scan is not vacuous: each kind of bypass is reported."""
    module = tmp_path / "probe.py"
    module.write_text(
        "from textual import work\n"
        "def f(self, screen, done):\n"
        "    self.run_worker(done())\n"
        "    self.app.push_screen(screen, done)\n",
        encoding="utf-8",
    )
    assert len(bypasses(module)) == 3
