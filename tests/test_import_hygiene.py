"""The core stays headless: importing it must not pull in Textual."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE_MODULES = [
    "leadsync_tui.models",
    "leadsync_tui.config",
    "leadsync_tui.store",
    "leadsync_tui.clients",
    "leadsync_tui.sync",
    "leadsync_tui.sim",
]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_does_not_import_textual(module: str) -> None:
    code = (
        f"import sys, importlib, pkgutil; m = importlib.import_module({module!r});\n"
        "for info in pkgutil.walk_packages(getattr(m, '__path__', []), m.__name__ + '.'):\n"
        "    importlib.import_module(info.name)\n"
        "print(sorted(n for n in sys.modules if n == 'textual' or n.startswith('textual.')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
