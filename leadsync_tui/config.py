"""Typed configuration: a TOML file plus `LEADSYNC_*` environment variables.

Order of precedence, highest first: environment (`LEADSYNC_SYNC__POLL_INTERVAL=10`,
nested with `__`), the TOML file (`--config PATH`, else `$LEADSYNC_CONFIG`, else the XDG
config dir), then defaults. No config file and no endpoints in the environment means demo
mode: the embedded simulators are started and synced against.

Every failure is a `ConfigError` whose lines name the key, the problem and the fix; the
CLI prints them and exits 2. Secrets are `SecretStr` and are never printed.

This module is the configuration's one way in: it loads, and re-exports what callers
name (`Settings`, the section models, `ConfigError`, `tls_context`). The sections live in
`config_sections`, the model and its sources in `config_model`, the messages in
`config_problems`, TLS in `config_tls`.
"""

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    SecretStr,
    ValidationError,
)
from pydantic_settings import (
    SettingsError,
)

from leadsync_tui.config_model import ENV_NESTED_DELIMITER, ENV_PREFIX, SECRET_KEYS, Settings
from leadsync_tui.config_problems import (
    ConfigError,
    covers,
    describe_validation_error,
    env_parse_problems,
    environment_keys,
    flatten,
    read_toml,
    reserved_key_problems,
    unknown_env_problems,
)
from leadsync_tui.config_sections import (
    SYNCED_FIELDS,
    AlertsSettings,
    DomiqSettings,
    PolicySettings,
    ResmanProperty,
    ResmanSettings,
    RolesSettings,
    SyncSettings,
    TlsSettings,
)
from leadsync_tui.config_tls import tls_context, tls_warnings
from leadsync_tui.locations import find_config_file
from leadsync_tui.private_files import exposure_warning, store_warnings

Source = Literal["file", "env", "default"]


@dataclass(frozen=True)
class LoadedSettings:
    """Settings plus where they came from, for `config check` and for messages."""

    settings: Settings
    path: Path | None
    path_reason: str
    file_keys: frozenset[str]
    env_keys: frozenset[str]
    warnings: tuple[str, ...] = ()

    def source_of(self, dotted_key: str) -> Source:
        if any(covers(key, dotted_key) for key in self.env_keys):
            return "env"
        if any(covers(key, dotted_key) for key in self.file_keys):
            return "file"
        return "default"

    def effective_values(self) -> Iterator[tuple[str, str, Source]]:
        """Every effective value as (dotted key, printable value, source); secrets masked."""
        for key, value in flatten(self.settings.model_dump()):
            yield key, _printable(key, value), self.source_of(key)


def _printable(key: str, value: Any) -> str:
    if isinstance(value, SecretStr):
        return "(not set)" if not value.get_secret_value() else "******** (set, hidden)"
    if value is None:
        return "(not set)"
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "value"):
        return str(value.value)
    return str(value)


def _permission_warnings(path: Path, data: Mapping[str, Any]) -> tuple[str, ...]:
    """A file that holds a secret must not be readable by others."""
    holds_secret = any(key in SECRET_KEYS for key, _ in flatten(data))
    warning = exposure_warning(path, "secrets") if holds_secret else None
    return () if warning is None else (warning,)


def load_settings(config_path: str | os.PathLike[str] | None = None) -> LoadedSettings:
    """Find, read and validate the configuration, or raise `ConfigError`."""
    path, reason = find_config_file(config_path)
    file_data = read_toml(path, reason) if path is not None else {}
    file_keys = frozenset(key for key, _ in flatten(file_data))
    env_keys = environment_keys(os.environ)

    unknown_env = unknown_env_problems(os.environ)
    reserved = reserved_key_problems(file_data)
    if reserved:
        raise ConfigError(unknown_env + reserved, path)
    try:
        settings = Settings(**file_data)
    except ValidationError as exc:
        problems = describe_validation_error(exc, file_keys, env_keys)
        raise ConfigError(unknown_env + problems, path) from None
    except SettingsError as exc:
        raise ConfigError(unknown_env + env_parse_problems(exc, os.environ), path) from None
    if unknown_env:
        raise ConfigError(unknown_env, path)
    warnings = _permission_warnings(path, file_data) if path is not None else ()
    warnings += tls_warnings(settings, os.environ)
    if not settings.store_location.is_postgresql:  # a file of ours: is it private?
        warnings += store_warnings(settings.database_file)
    return LoadedSettings(settings, path, reason, file_keys, env_keys, warnings)


__all__ = [
    "ENV_NESTED_DELIMITER",
    "ENV_PREFIX",
    "SECRET_KEYS",
    "SYNCED_FIELDS",
    "AlertsSettings",
    "ConfigError",
    "DomiqSettings",
    "LoadedSettings",
    "PolicySettings",
    "ResmanProperty",
    "ResmanSettings",
    "RolesSettings",
    "Settings",
    "Source",
    "SyncSettings",
    "TlsSettings",
    "load_settings",
    "tls_context",
]
