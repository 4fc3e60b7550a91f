"""Roles: the permission table, the refusal text, and `[roles]` in the config."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadsync_tui.cli import main
from leadsync_tui.config import ConfigError, Settings, load_settings
from leadsync_tui.models import ConflictSeverity
from leadsync_tui.roles import Permission, Role, allows, refusal, role_for

LOW, MEDIUM, HIGH = ConflictSeverity.LOW, ConflictSeverity.MEDIUM, ConflictSeverity.HIGH
V, OP, M = Role.VIEWER, Role.OPERATOR, Role.MANAGER
P = Permission

LIVE = """
[domiq]
base_url = "https://api.domiq.example"
token = "t"
[resman]
base_url = "https://api.myresman.com"
integration_partner_id = "leadsync"
api_key = "k"
account_id = 400
"""

# (role, permission, severity, allowed)
TABLE = [
    (V, P.EXPORT, None, True),
    (V, P.CREATE, None, False),
    (V, P.RETRY, None, False),
    (V, P.BULK, None, False),
    (V, P.ESCALATE, None, False),
    (V, P.RESOLVE, None, False),
    (V, P.RESOLVE, LOW, False),
    (V, P.RESOLVE, HIGH, False),
    (OP, P.EXPORT, None, True),
    (OP, P.CREATE, None, True),
    (OP, P.RETRY, None, True),
    (OP, P.BULK, None, True),
    (OP, P.ESCALATE, None, False),
    (OP, P.RESOLVE, None, True),
    (OP, P.RESOLVE, LOW, True),
    (OP, P.RESOLVE, MEDIUM, True),
    (OP, P.RESOLVE, HIGH, False),
    *[(M, permission, None, True) for permission in Permission],
    *[(M, P.RESOLVE, severity, True) for severity in ConflictSeverity],
]


@pytest.mark.parametrize(("role", "permission", "severity", "allowed"), TABLE)
def test_allows(
    role: Role, permission: Permission, severity: ConflictSeverity | None, allowed: bool
) -> None:
    assert allows(role, permission, severity) is allowed


@pytest.mark.parametrize(
    ("role", "permission", "severity", "expected"),
    [
        (
            OP,
            P.RESOLVE,
            HIGH,
            "Your role (operator) cannot resolve high-severity conflicts; ask a manager.",
        ),
        (OP, P.ESCALATE, None, "Your role (operator) cannot escalate conflicts; ask a manager."),
        (V, P.RETRY, None, "Your role (viewer) cannot retry failed syncs; ask an operator."),
        (V, P.RESOLVE, HIGH, "Your role (viewer) cannot resolve conflicts; ask a manager."),
        (V, P.BULK, None, "Your role (viewer) cannot run bulk actions; ask an operator."),
    ],
)
def test_refusal_says_what_and_who(
    role: Role, permission: Permission, severity: ConflictSeverity | None, expected: str
) -> None:
    assert refusal(role, permission, severity) == expected


def _settings(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "leadsync.toml"
    path.write_text(text)
    path.chmod(0o600)
    return load_settings(path).settings


ROLES = """
[roles]
default = "viewer"
[roles.users]
alice = "manager"
bob = "operator"
"""

# (config text, user, read_only, expected role)
ROLE_FOR = [
    ("", "anyone", False, M),  # demo, nothing configured: manager
    ("", "anyone", True, V),  # --read-only beats everything
    (LIVE, "anyone", False, OP),  # live, nothing configured: operator
    (LIVE + ROLES, "alice", False, M),
    (LIVE + ROLES, "alice", True, V),
    (LIVE + ROLES, "bob", False, OP),
    (LIVE + ROLES, "carol", False, V),  # not listed: the configured default
    (ROLES, "carol", False, V),  # demo honours a configured default
    ('[roles.users]\nalice = "viewer"\n', "alice", False, V),
    ('[roles.users]\nalice = "viewer"\n', "bob", False, M),  # demo default stays manager
    (LIVE + '[roles.users]\nalice = "manager"\n', "bob", False, OP),
]


@pytest.mark.parametrize(("text", "user", "read_only", "expected"), ROLE_FOR)
def test_role_for(tmp_path: Path, text: str, user: str, read_only: bool, expected: Role) -> None:
    assert role_for(_settings(tmp_path, text), user, read_only=read_only) is expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[roles]\ndefault = "admin"\n', "roles.default"),
        ('[roles.users]\nalice = "boss"\n', "roles.users.alice"),
    ],
)
def test_an_unknown_role_names_the_key_and_the_allowed_values(
    tmp_path: Path, text: str, key: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _settings(tmp_path, text)
    message = str(caught.value)
    assert message.startswith(key + ":")
    for name in ("viewer", "operator", "manager"):
        assert name in message


def test_an_unknown_roles_key_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"roles\.admins: unknown key in \[roles\]"):
        _settings(tmp_path, '[roles]\nadmins = ["alice"]\n')


def test_roles_can_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADSYNC_ROLES__DEFAULT", "viewer")
    settings = load_settings().settings
    assert role_for(settings, "anyone") is V


def test_config_check_shows_roles_and_the_users_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("USER", "bob")
    path = tmp_path / "leadsync.toml"
    path.write_text(ROLES)
    assert main(["config", "check", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "roles.users.alice" in out and "manager" in out
    assert "role: operator (user bob)" in out
