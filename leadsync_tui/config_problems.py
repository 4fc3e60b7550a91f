"""How a configuration problem is told: one line per problem naming the key, where it
was set (file or `$LEADSYNC_...`), what is wrong and how to fix it, never a secret.
"""

from __future__ import annotations

import json
import shlex
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import (
    ValidationError,
)
from pydantic_settings import (
    SettingsError,
)

from leadsync_tui.config_model import (
    ENV_NESTED_DELIMITER,
    ENV_PREFIX,
    SECRET_KEYS,
    TABLE_KEYS,
    Settings,
)


class ConfigError(Exception):
    """A configuration problem, with one line per problem that says how to fix it."""

    def __init__(self, problems: list[str], path: Path | None = None) -> None:
        self.problems = problems
        self.path = path
        super().__init__("\n".join(problems))


def covers(given: str, key: str) -> bool:
    return key == given or key.startswith(given + ".")


def flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from flatten(value, dotted + ".")
        else:
            yield dotted, value


def environment_keys(environ: Mapping[str, str]) -> frozenset[str]:
    keys = set()
    for name in environ:
        upper = name.upper()
        if upper.startswith(ENV_PREFIX) and upper != "LEADSYNC_CONFIG":
            parts = upper[len(ENV_PREFIX) :].lower().split(ENV_NESTED_DELIMITER)
            if parts[0] in Settings.model_fields:
                keys.add(".".join(parts))
    return frozenset(keys)


def read_toml(path: Path, reason: str) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError(
            [
                f"config file {path} (from {reason}) does not exist; create it "
                f"(`leadsync sim` prints a ready-made block) or point {reason} elsewhere"
            ],
            path,
        )
    if path.is_dir():
        raise ConfigError(
            [
                f"config file {path} (from {reason}) is a directory; point {reason} at the "
                "TOML file itself"
            ],
            path,
        )
    try:
        text = path.read_text(encoding="utf-8")
    except PermissionError:
        raise ConfigError(
            [
                f"cannot read config file {path}: permission denied; run leadsync as the "
                f"user who owns it, or as its owner: chmod 600 {shlex.quote(str(path))} "
                "(owner may read; nobody else)"
            ],
            path,
        ) from None
    except OSError as exc:
        raise ConfigError(
            [f"cannot read config file {path}: {exc.strerror}; check the path and its mode"],
            path,
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(
            [f"config file {path} is not UTF-8 text; save it as UTF-8"], path
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            [f"config file {path} is not valid TOML: {exc}; fix the syntax at that line"],
            path,
        ) from None


def describe_validation_error(
    exc: ValidationError, file_keys: frozenset[str], env_keys: frozenset[str]
) -> list[str]:
    problems = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        key = ".".join(loc)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            section = ".".join(loc[:-1])
            where = f"[{section}]" if section else "the top level"
            problems.append(
                f"{key}: unknown key in {where}; remove it or check its spelling"
                + _where(key, file_keys, env_keys)
            )
            continue
        if error["type"] == "missing" and not loc:
            key = "(config)"
        hint = _hint_for(error["type"])
        if error["type"] != "value_error":  # our own validators say what they need to
            hint += _got(key, error.get("input"))
        problems.append(f"{key or '(config)'}: {message}{hint}" + _where(key, file_keys, env_keys))
    return problems


def _got(key: str, value: Any) -> str:
    """The offending value, unless it is (or holds) a secret or is not a plain scalar."""
    if any(covers(key, secret) for secret in SECRET_KEYS):
        return ""
    if isinstance(value, bool | int | float) or (isinstance(value, str) and len(value) <= 60):
        return f" (got {value!r})"
    return ""


def reserved_key_problems(file_data: Mapping[str, Any]) -> list[str]:
    """Top-level file keys that would reach pydantic-settings' own `_...` keyword
    arguments (the file is passed as keyword arguments): unknown keys, said as such."""
    return [
        f"{key}: unknown key in the top level; remove it or check its spelling (in the config file)"
        for key in sorted(file_data)
        if key.startswith("_")
    ]


def unknown_env_problems(environ: Mapping[str, str]) -> list[str]:
    sections = ", ".join(Settings.model_fields)
    return [
        f"${name}: unknown setting in the environment; remove it or check its spelling "
        f"(settings are LEADSYNC_<SECTION>__<KEY>; sections: {sections}; "
        "and LEADSYNC_CONFIG names the file)"
        for name in sorted(environ)
        if name.upper().startswith(ENV_PREFIX)
        and name.upper() != "LEADSYNC_CONFIG"
        and name[len(ENV_PREFIX) :].lower().split(ENV_NESTED_DELIMITER)[0]
        not in Settings.model_fields
    ]


def env_parse_problems(exc: SettingsError, environ: Mapping[str, str]) -> list[str]:
    """pydantic-settings could not parse a variable as JSON; name it (not its value)."""
    field = str(exc).split('field "', 1)[-1].split('"', 1)[0]
    candidates = sorted(
        name
        for name in environ
        if name.upper() == f"{ENV_PREFIX}{field.upper()}"
        or name.upper().startswith(f"{ENV_PREFIX}{field.upper()}{ENV_NESTED_DELIMITER}")
    )
    culprits = [name for name in candidates if _needs_json(name) and not _is_json(environ[name])]
    return [
        f"${name}: is not valid JSON; a variable that sets a whole section or table must be "
        'a JSON object (e.g. \'{"key": "value"}\'), or set one key per variable: '
        f"{name}{ENV_NESTED_DELIMITER}<KEY>=value"
        for name in culprits or candidates
    ] or [f"an environment variable for [{field}] could not be parsed; check LEADSYNC_*"]


def _needs_json(name: str) -> bool:
    parts = name[len(ENV_PREFIX) :].lower().split(ENV_NESTED_DELIMITER)
    dotted = ".".join(parts)
    return (
        len(parts) == 1
        or dotted in TABLE_KEYS
        or (dotted.startswith("resman.properties.") and len(parts) == 3)
    )


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _hint_for(error_type: str) -> str:
    hints = {
        "int_parsing": "; write a whole number",
        "int_type": "; write a whole number",
        "float_parsing": "; write a number",
        "float_type": "; write a number",
        "bool_parsing": "; write true or false",
        "enum": "",
        "greater_than": "",
        "greater_than_equal": "",
        "less_than_equal": "",
        "string_type": "; write it in quotes",
        "dict_type": "; write it as a [table]",
        "model_type": "; write it as a [table]",
    }
    return hints.get(error_type, "")


def _where(key: str, file_keys: frozenset[str], env_keys: frozenset[str]) -> str:
    env_name = ENV_PREFIX + key.upper().replace(".", ENV_NESTED_DELIMITER)
    if any(covers(k, key) or covers(key, k) for k in env_keys):
        return f" (set by ${env_name})"
    if any(covers(k, key) or covers(key, k) for k in file_keys):
        return " (in the config file)"
    return ""
