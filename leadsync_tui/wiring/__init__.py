"""The composition root: the one place that builds an engine and what it talks to.

`open_engine` opens the database, the store, the two clients, the live feed (and, in
demo mode, the embedded simulators), builds the shared `EngineContext` once and the
engine's parts from it (`parts`). The TUI (`commands.tui`) and `sync --headless` both
receive the engine built here; nothing below this package builds one. It sits above
`sync`, `store`, `clients` and `sim` (the import-linter layers say so), and below the
commands and the UI.
"""

from leadsync_tui.wiring.demo import settings_for_sims
from leadsync_tui.wiring.engine import (
    EngineSetup,
    client_retry,
    database_file,
    demo_database_file,
    open_engine,
    store_location,
)

__all__ = [
    "EngineSetup",
    "client_retry",
    "database_file",
    "demo_database_file",
    "open_engine",
    "settings_for_sims",
    "store_location",
]
