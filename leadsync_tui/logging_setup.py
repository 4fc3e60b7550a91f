"""Logging, configured once by the CLI: a private rotating file for the TUI, JSON lines on
stdout for `sync --headless`.

The TUI owns the terminal, so its log goes to `leadsync.log` in the user's log dir
(platformdirs: `$XDG_STATE_HOME/leadsync/log`), the folder 0700 and every file 0600
whatever the umask: tracebacks may hold customer data. Headless runs print one JSON
object per line: the engine's journal events (the format `sync --headless` always had)
and, in the same stream, log records as `{"event": "log", ...}` lines.

What is logged at INFO and above carries ids, kinds and counts, never names, emails or
phones; credentials are `SecretStr` and never formatted. Tracebacks are the standard
library's (no local variables).
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
from pathlib import Path
from typing import Any, TextIO

import platformdirs

from leadsync_tui.models import format_utc, utc_now

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_LEVEL = "INFO"
"""The TUI's log file level unless `--log-level` says otherwise."""
QUIET_LEVEL = "WARNING"
"""Every other command's default: their stdout is a contract (JSON lines, reports)."""
LOG_FILE_NAME = "leadsync.log"
MAX_BYTES = 5_000_000
BACKUPS = 3
EVENT_LOGGER = "leadsync.events"
"""The engine's journal events go through this logger (`record.event` holds the dict)."""

_FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_current: Path | None = None


def log_dir() -> Path:
    """Where the TUI's log lives (`$XDG_STATE_HOME/leadsync/log` on Linux)."""
    return Path(platformdirs.user_log_dir("leadsync", appauthor=False))


def log_file() -> Path:
    return log_dir() / LOG_FILE_NAME


def current_log_file() -> Path | None:
    """The file this process logs to, if `configure_file_logging` set one up."""
    return _current


def log_file_note() -> str:
    """`log file: <path>` (home shown as `~`) for `?` help and `config check`."""
    path = current_log_file() or log_file()
    home = Path.home()
    shown = f"~/{path.relative_to(home)}" if path.is_relative_to(home) else str(path)
    return f"log file: {shown}"


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose every file (the rotated ones too) is created 0600."""

    def _open(self) -> Any:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.chmod(self.baseFilename, 0o600)  # an older file others could read
        return os.fdopen(fd, self.mode, encoding=self.encoding, errors=self.errors)


def private_dir(path: Path) -> Path:
    """`path` (and missing parents) created; `path` itself 0700."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def configure_file_logging(level: str = DEFAULT_LEVEL, path: Path | None = None) -> Path:
    """The TUI's logging: everything at `level` and above to the private rotating file."""
    global _current
    target = path or log_file()
    private_dir(target.parent)
    handler = PrivateRotatingFileHandler(
        target, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter(_FILE_FORMAT))
    _install(handler, level)
    _current = target
    return target


class JsonLinesHandler(logging.Handler):
    """One compact JSON object per record, flushed at once (a pipe reads it now).

    A journal event (`record.event`) is written as it is, the format `sync --headless`
    always printed; any other record becomes an `{"event": "log", ...}` line."""

    def __init__(self, out: TextIO) -> None:
        super().__init__()
        self._out = out

    def emit(self, record: logging.LogRecord) -> None:
        try:
            # One write per line: nothing (a signal handler, another writer) can land
            # between an object and its newline.
            line = json.dumps(as_event(record), separators=(",", ":"), default=str)
            self._out.write(line + "\n")
            self._out.flush()
        except Exception:
            self.handleError(record)


def as_event(record: logging.LogRecord) -> dict[str, Any]:
    event = getattr(record, "event", None)
    if isinstance(event, dict):
        return event if "at" in event else {"at": format_utc(utc_now()), **event}
    line: dict[str, Any] = {
        "at": format_utc(utc_now()),
        "event": "log",
        "level": record.levelname.lower(),
        "logger": record.name,
        "message": record.getMessage(),
    }
    if record.exc_info and record.exc_info[1] is not None:
        error = record.exc_info[1]
        line["error"] = f"{type(error).__name__}: {error}"
    return line


def configure_json_logging(out: TextIO, level: str = QUIET_LEVEL) -> logging.Handler:
    """`sync --headless`: journal events and log records, as JSON lines on `out`."""
    handler = JsonLinesHandler(out)
    _install(handler, level)
    return handler


def configure_stderr_logging(level: str = QUIET_LEVEL) -> None:
    """`status`, `audit`, `config check`, `sim`: log records as plain lines on stderr."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("leadsync: %(levelname)s %(name)s: %(message)s"))
    _install(handler, level)


def remove(handler: logging.Handler) -> None:
    """Undo a `configure_*` (tests run many commands in one process)."""
    logging.getLogger().removeHandler(handler)
    handler.close()


def configure_for_command(command: str, level: str | None) -> None:
    """The CLI's one logging setup. `sync` configures its JSON lines itself (on the
    stream it prints to), so tests and the CLI share that code path."""
    if command == "tui":
        configure_file_logging(level or DEFAULT_LEVEL)
    elif command != "sync":
        configure_stderr_logging(level or QUIET_LEVEL)


def _install(handler: logging.Handler, level: str) -> None:
    """`handler` as the root logger's only handler (configuring twice replaces it)."""
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_leadsync", False):
            root.removeHandler(old)
            old.close()
    handler._leadsync = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger(EVENT_LOGGER).setLevel(logging.INFO)  # events print at any level


def emit_event(event: dict[str, Any]) -> None:
    """The journal's sink for headless runs: the event through the logging setup."""
    logging.getLogger(EVENT_LOGGER).info("%s", event.get("event"), extra={"event": event})
