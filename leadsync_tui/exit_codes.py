"""The one set of exit codes every `leadsync` command ends with (scripts rely on them)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What a process exit code means, the same for every command."""

    OK = 0
    """Done, healthy, in step."""
    PROBLEM = 1
    """It ran and found a problem: work left, degraded health, drift, a failed check."""
    USAGE = 2
    """It cannot start: a bad option or configuration, no usable database, a taken port."""
    LEASE_HELD = 3
    """`sync --headless`: another engine holds the sync lease, or took it over from this one."""
    INTERRUPTED = 130
    """Stopped by Ctrl+C (128 + SIGINT) before the command could stop on its own."""
