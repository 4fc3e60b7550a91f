"""Who may do what: roles per OS user, and the permission check every action asks.

Kept free of Textual so the CLI, the engine and the UI share one answer. The UI hides an
action the role does not allow and, if it is invoked anyway (palette, key binding),
shows `refusal(...)` instead of doing it.
"""

from __future__ import annotations

import getpass
from enum import StrEnum
from typing import TYPE_CHECKING

from leadsync_tui.models import ConflictSeverity

if TYPE_CHECKING:
    from leadsync_tui.config import Settings


class Role(StrEnum):
    """A user's role, from `[roles]` in the config (or `--read-only`)."""

    VIEWER = "viewer"
    """Reads everything; changes nothing (export is reading, so it is allowed)."""
    OPERATOR = "operator"
    """Retries, creates, bulk actions, and resolves low/medium-severity conflicts."""
    MANAGER = "manager"
    """Everything, including high-severity conflicts and escalations."""


class Permission(StrEnum):
    """A human action that a role may or may not take (each one is audited)."""

    CREATE = "create"
    RETRY = "retry"
    RESOLVE = "resolve"
    ESCALATE = "escalate"
    BULK = "bulk"
    EXPORT = "export"


_OPERATOR_RESOLVES = frozenset({ConflictSeverity.LOW, ConflictSeverity.MEDIUM})

_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.EXPORT}),
    Role.OPERATOR: frozenset(
        {
            Permission.CREATE,
            Permission.RETRY,
            Permission.BULK,
            Permission.EXPORT,
            Permission.RESOLVE,
        }
    ),
    Role.MANAGER: frozenset(Permission),
}

_VERBS: dict[Permission, str] = {
    Permission.CREATE: "create records",
    Permission.RETRY: "retry failed syncs",
    Permission.RESOLVE: "resolve conflicts",
    Permission.ESCALATE: "escalate conflicts",
    Permission.BULK: "run bulk actions",
    Permission.EXPORT: "export data",
}


def allows(role: Role, permission: Permission, severity: ConflictSeverity | None = None) -> bool:
    """Whether `role` may take `permission` (for RESOLVE, on a conflict of `severity`)."""
    if permission not in _GRANTS[role]:
        return False
    if role is Role.OPERATOR and permission is Permission.RESOLVE:
        return severity is None or severity in _OPERATOR_RESOLVES
    return True


def refusal(role: Role, permission: Permission, severity: ConflictSeverity | None = None) -> str:
    """The one-line answer shown when an action is refused: what, why and who can."""
    if permission is Permission.RESOLVE and severity is not None and role is Role.OPERATOR:
        what = f"resolve {severity.value}-severity conflicts"
    else:
        what = _VERBS[permission]
    who = "an operator" if allows(Role.OPERATOR, permission, severity) else "a manager"
    return f"Your role ({role.value}) cannot {what}; ask {who}."


def default_role(settings: Settings) -> Role:
    """The role of a user not named in `[roles.users]`."""
    configured = settings.roles.default
    if configured is not None:
        return configured
    return Role.MANAGER if settings.is_demo else Role.OPERATOR


def role_for(settings: Settings, user: str, *, read_only: bool = False) -> Role:
    """`--read-only` forces viewer; else the user's configured role, else the default."""
    if read_only:
        return Role.VIEWER
    return settings.roles.users.get(user, default_role(settings))


def default_actor() -> str:
    """The person at the keyboard: `$USER`, else the login name the OS knows (`LOGNAME`,
    the password database), else "unknown user" (never a word that reads as a role)."""
    try:
        return getpass.getuser() or "unknown user"
    except (OSError, KeyError):
        return "unknown user"
