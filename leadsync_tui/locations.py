"""Where leadsync keeps its files: one place, so tests can point it elsewhere."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_config_path, user_data_path

APP_NAME = "leadsync"
CONFIG_ENV_VAR = "LEADSYNC_CONFIG"
"""Names a config file when `--config` is not given."""


def default_config_file() -> Path:
    """The XDG config file (`~/.config/leadsync/config.toml` on Linux)."""
    return user_config_path(APP_NAME) / "config.toml"


def default_database_file() -> Path:
    """The XDG data file for the sync database (`~/.local/share/leadsync/leadsync.db`)."""
    return user_data_path(APP_NAME) / "leadsync.db"


def demo_database_file() -> Path:
    """Where the demo's database lives, beside the real one but never the same file."""
    return default_database_file().with_name("leadsync-demo.db")


def find_config_file(explicit: str | os.PathLike[str] | None) -> tuple[Path | None, str]:
    """The config file to read and why: `--config`, else `$LEADSYNC_CONFIG`, else XDG.

    An explicit path (flag or env) is returned even when missing, so the caller can say
    it is missing; the XDG file is only returned when it exists (no file = demo mode).
    """
    if explicit is not None:
        return Path(explicit).expanduser(), "--config"
    from_env = os.environ.get(CONFIG_ENV_VAR)
    if from_env:
        return Path(from_env).expanduser(), f"${CONFIG_ENV_VAR}"
    xdg = default_config_file()
    if xdg.is_file():
        return xdg, "XDG config dir"
    return None, "none found"
