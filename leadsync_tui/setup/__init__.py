"""Going live: `leadsync init` (a guided set-up) and `leadsync config check --online`.

Headless like the core (no Textual here): the guided screen calls these same functions.
"""
