"""Typed configuration: a TOML file plus `LEADSYNC_*` environment variables.

Order of precedence, highest first: environment (`LEADSYNC_SYNC__POLL_INTERVAL=10`,
nested with `__`), the TOML file (`--config PATH`, else `$LEADSYNC_CONFIG`, else the XDG
config dir), then defaults. No config file and no endpoints in the environment means demo
mode: the embedded simulators are started and synced against.

Every failure is a `ConfigError` whose lines name the key, the problem and the fix; the
CLI prints them and exits 2. Secrets are `SecretStr` and are never printed.
"""

from __future__ import annotations

import ipaddress
import json
import os
import shlex
import ssl
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import certifi
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from leadsync_tui.locations import default_database_file, demo_database_file, find_config_file
from leadsync_tui.models import Resolution
from leadsync_tui.private_files import exposure_warning, store_warnings
from leadsync_tui.roles import Role

ENV_PREFIX = "LEADSYNC_"
ENV_NESTED_DELIMITER = "__"

SYNCED_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "desired_move_in",
    "desired_bedrooms",
    "desired_bathrooms",
    "max_rent",
    "pets",
    "notes",
    "qualification",
)
"""The lead fields mapped between DomIQ and ResMan, which a conflict policy can name."""

Source = Literal["file", "env", "default"]


class ConfigError(Exception):
    """A configuration problem, with one line per problem that says how to fix it."""

    def __init__(self, problems: list[str], path: Path | None = None) -> None:
        self.problems = problems
        self.path = path
        super().__init__("\n".join(problems))


def _require_http_url(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if "@" in value.split("://", 1)[-1].split("/", 1)[0]:
        # Not echoed: the part before @ is a password.
        raise ValueError(
            "holds a user name or password (user:password@host); remove it: "
            "credentials belong in the token / api_key keys"
        )
    if not value.startswith(("http://", "https://")):
        raise ValueError(
            f"{value!r} has no http:// or https:// scheme; write it as https://host/path"
        )
    if "://" in value and not value.split("://", 1)[1].strip("/"):
        raise ValueError(f"{value!r} has no host")
    return value.rstrip("/")


def _require_non_empty_secret(value: SecretStr | None) -> SecretStr | None:
    if value is not None and not value.get_secret_value().strip():
        raise ValueError("is empty; set it, or remove the key to use demo mode")
    return value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DomiqSettings(_Section):
    """`[domiq]`: where DomIQ's API lives and the bearer token that opens it."""

    base_url: str | None = None
    """e.g. https://api.domiq.example — the `/v1/...` routes are appended."""
    token: SecretStr | None = None
    """Bearer token for every call and for the live event feed."""

    @field_validator("base_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        return _require_http_url(value)

    @field_validator("token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        return _require_non_empty_secret(value)


class ResmanProperty(_Section):
    """`[resman.properties.<domiq property id>]`: one property's ResMan ids."""

    property_id: str = Field(min_length=1)
    """ResMan's PropertyID (a GUID)."""
    source_id: str | None = None
    """Default prospect source (TransactionSource) for new prospects here."""
    agent_id: str | None = None
    """Default leasing agent (an employee ID) for new prospects here."""
    name: str | None = None
    """The property's name as people say it ("Oakridge Commons", as ResMan's
    GetProperties gives it): shown in the leads table and the new-lead form instead of
    the DomIQ id (which then shows only on the lead's detail). Unset: the id."""
    lost_reason_id: str | None = None
    """Lost-prospect reason (from GetLostProspectReasons) used when DomIQ disqualifies a
    lead: ResMan marks a prospect lost only with a reason id."""


class ResmanSettings(_Section):
    """`[resman]`: the MITS API credentials and per-property mapping."""

    base_url: str | None = None
    """e.g. https://api.myresman.com"""
    integration_partner_id: str | None = None
    api_key: SecretStr | None = None
    account_id: int | None = Field(default=None, ge=1)
    properties: dict[str, ResmanProperty] = Field(default_factory=dict)
    """Keyed by DomIQ's property_id."""

    @field_validator("base_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        return _require_http_url(value)

    @field_validator("api_key")
    @classmethod
    def _check_key(cls, value: SecretStr | None) -> SecretStr | None:
        return _require_non_empty_secret(value)

    @property
    def property_ids(self) -> dict[str, str]:
        """DomIQ property_id -> ResMan PropertyID."""
        return {key: prop.property_id for key, prop in self.properties.items()}

    @property
    def property_names(self) -> dict[str, str]:
        """DomIQ property_id -> the property's name, for those that have one."""
        return {key: prop.name for key, prop in self.properties.items() if prop.name}


class SyncSettings(_Section):
    """`[sync]`: the local database and how hard the engine works."""

    database: Path = Field(default_factory=default_database_file)
    """The SQLite file (WAL). The outbox lives here: keep it on a local disk."""
    poll_interval: float = Field(default=30.0, gt=0, le=3600)
    """Seconds between ResMan polls (ResMan has no push)."""
    concurrency: int = Field(default=8, ge=1, le=64)
    """How many outgoing writes may be in flight at once."""
    max_attempts: int = Field(default=8, ge=1, le=100)
    """Attempts before an outbox item is parked as failed for a person."""
    request_timeout: float = Field(default=15.0, gt=0, le=300)
    """Seconds before one HTTP call is abandoned (and retried)."""
    drift_scan_every: float = Field(default=6 * 3600.0, ge=0, le=7 * 86400)
    """Seconds between the running engine's drift scans (both systems read whole and
    compared pair by pair; `leadsync drift`); 0 = never in the background."""
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    """`sync --headless` serves Prometheus metrics on this port (`/metrics`); unset = no
    metrics server; 0 = any free port (said in the `metrics` JSON line)."""
    metrics_host: str = "127.0.0.1"
    """The address the metrics server listens on: loopback unless set (e.g. 0.0.0.0 for
    a Prometheus on another host; the figures hold ids and counts, no customer data)."""
    lease_expiry: float = Field(default=15.0, ge=1, le=600)
    """Seconds the sync lease outlives its holder's last heartbeat (beats every third of
    it): a holder silent this long (killed, stopped, cut off) is replaced by a waiting
    engine, which then sends again what the holder had in flight."""


class AlertsSettings(_Section):
    """`[alerts]`: where the engine tells people it needs them (a Slack-compatible webhook).

    The URL is a credential (whoever holds it can post to the channel): a `SecretStr`,
    never printed or logged, like the API keys."""

    webhook_url: SecretStr | None = None
    """An incoming-webhook URL taking `{"text": ...}` JSON posts; unset = no alerts."""
    min_interval: float = Field(default=60.0, ge=0, le=86400)
    """Seconds between two posts at least; changes in between go out together."""
    window: float = Field(default=300.0, gt=0, le=86400)
    """Seconds of failed attempts one "failed to sync" alert counts."""
    feed_down_after: float = Field(default=120.0, ge=0, le=86400)
    """Seconds the DomIQ live feed may be down before it is said."""

    @field_validator("webhook_url")
    @classmethod
    def _check_webhook(cls, value: SecretStr | None) -> SecretStr | None:
        # Never echo the value: the path of a webhook URL is its secret.
        if value is None:
            return None
        text = value.get_secret_value().strip()
        if not text:
            raise ValueError("is empty; set it, or remove the key to send no alerts")
        if not text.startswith(("http://", "https://")) or not text.split("://", 1)[1]:
            raise ValueError("is not an http:// or https:// URL; paste the whole webhook URL")
        return SecretStr(text)


class PolicySettings(_Section):
    """`[policy]`: how conflicts are settled without a person, per field."""

    default: Resolution = Resolution.MANUAL_REVIEW
    fields: dict[str, Resolution] = Field(default_factory=dict)

    @field_validator("default")
    @classmethod
    def _no_merged_default(cls, value: Resolution) -> Resolution:
        if value is Resolution.MERGED:
            raise ValueError("'merged' needs a person to write the value; use manual_review")
        return value

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: dict[str, Resolution]) -> dict[str, Resolution]:
        for name, resolution in value.items():
            if name not in SYNCED_FIELDS:
                raise ValueError(
                    f"unknown field {name!r}; policies can name: {', '.join(SYNCED_FIELDS)}"
                )
            if resolution is Resolution.MERGED:
                raise ValueError(f"{name}: 'merged' needs a person; use manual_review")
        return value

    def for_field(self, name: str) -> Resolution:
        return self.fields.get(name, self.default)


class RolesSettings(_Section):
    """`[roles]`: what each OS user (`$USER`) may do; see `leadsync_tui.roles`.

    ```toml
    [roles]
    default = "viewer"        # anyone not listed below
    [roles.users]
    alice = "manager"
    bob = "operator"
    ```
    """

    default: Role | None = None
    """Role of users not listed; unset = manager in demo mode, operator when live."""
    users: dict[str, Role] = Field(default_factory=dict)
    """OS user name -> viewer, operator or manager."""


class TlsSettings(_Section):
    """`[tls]`: certificate checks on the real endpoints are always on; this only adds
    a private CA (a company proxy, a self-hosted gateway). Every start warns about it."""

    ca_bundle: Path | None = None
    """A PEM file of extra CA certificates trusted besides the public ones."""

    @field_validator("ca_bundle")
    @classmethod
    def _check_bundle(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        path = value.expanduser()
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise ValueError(
                f"cannot read {path}: {exc.strerror}; point it at a readable PEM file "
                "of CA certificates, or remove the key"
            ) from None
        if "-----BEGIN CERTIFICATE-----" not in text:
            raise ValueError(
                f"{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----); "
                "export the CA certificate as PEM"
            )
        try:
            ssl.create_default_context().load_verify_locations(cafile=str(path))
        except ssl.SSLError as exc:
            raise ValueError(
                f"{path} is not a usable CA bundle ({exc.reason}); export the CA certificate as PEM"
            ) from None
        return path


class _DictSource(PydanticBaseSettingsSource):
    """The already-parsed TOML file as a settings source (parsed by us for good errors)."""

    def __init__(self, settings_cls: type[BaseSettings], data: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self._data = data

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._data)


class Settings(BaseSettings):
    """The whole configuration. Build it with `load_settings`, not directly."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTED_DELIMITER,
        extra="forbid",
        frozen=True,
    )

    file_data: ClassVar[dict[str, Any]] = {}
    """The parsed TOML file; set on a per-load subclass by `load_settings`."""

    domiq: DomiqSettings = Field(default_factory=DomiqSettings)
    resman: ResmanSettings = Field(default_factory=ResmanSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    policy: PolicySettings = Field(default_factory=PolicySettings)
    roles: RolesSettings = Field(default_factory=RolesSettings)
    tls: TlsSettings = Field(default_factory=TlsSettings)
    alerts: AlertsSettings = Field(default_factory=AlertsSettings)

    @model_validator(mode="after")
    def _complete_when_not_demo(self) -> Settings:
        if self.is_demo:
            return self
        missing = [
            f"{section}.{key}"
            for section, model in (("domiq", self.domiq), ("resman", self.resman))
            for key in _REQUIRED_KEYS[section]
            if getattr(model, key) is None
        ]
        if missing:
            raise ValueError(
                "missing " + ", ".join(missing) + " (a real deployment needs all of "
                "[domiq] base_url, token and [resman] base_url, integration_partner_id, "
                "api_key, account_id; leave both base_urls out for demo mode)"
            )
        return self

    @property
    def is_demo(self) -> bool:
        """No endpoint configured: run against the embedded simulators."""
        return self.domiq.base_url is None and self.resman.base_url is None

    @property
    def database_file(self) -> Path:
        """The store `sync --headless`, the TUI and `status` use: the demo's own file in
        demo mode, `[sync] database` otherwise."""
        return demo_database_file() if self.is_demo else self.sync.database.expanduser()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _DictSource(settings_cls, cls.file_data))


_REQUIRED_KEYS = {
    "domiq": ("base_url", "token"),
    "resman": ("base_url", "integration_partner_id", "api_key", "account_id"),
}

SECRET_KEYS = frozenset({"domiq.token", "resman.api_key", "alerts.webhook_url"})

_TABLE_KEYS = frozenset({"resman.properties", "policy.fields", "roles.users"})
"""Keys whose value is a table: one environment variable can set them only as JSON."""


def tls_context(settings: Settings) -> ssl.SSLContext:
    """The TLS context for the real endpoints: verification on, hostnames checked,
    trusting the public CAs (certifi, as httpx does) plus `[tls] ca_bundle` if set."""
    context = ssl.create_default_context(cafile=certifi.where())
    if settings.tls.ca_bundle is not None:
        context.load_verify_locations(cafile=str(settings.tls.ca_bundle))
    return context


def _is_loopback(url: str) -> bool:
    host = url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_SYSTEM_TRUST_STORES = frozenset(
    {
        "/etc/ssl/certs",
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/ssl/cert.pem",
        "/etc/pki/tls/certs",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/pki/tls/cert.pem",
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
        "/etc/ssl/ca-bundle.pem",
        "/usr/lib/ssl/certs",
        "/usr/lib/ssl/cert.pem",
    }
)
"""Where operating systems keep their public CA store (often exported as $SSL_CERT_FILE
system-wide): pointing there is not a weakening."""


def _is_system_trust_store(value: str) -> bool:
    paths = ssl.get_default_verify_paths()
    known = _SYSTEM_TRUST_STORES | {paths.openssl_cafile, paths.openssl_capath, certifi.where()}
    return os.path.normpath(value) in known


def _tls_warnings(settings: Settings, environ: Mapping[str, str]) -> tuple[str, ...]:
    """Anything that weakens how the real endpoints are checked is said on every start."""
    if settings.is_demo:
        return ()
    warnings = []
    for section, url in (("domiq", settings.domiq.base_url), ("resman", settings.resman.base_url)):
        if url is not None and url.startswith("http://") and not _is_loopback(url):
            warnings.append(
                f"{section}.base_url uses http:// to a remote host: credentials and lead data "
                "travel unencrypted and the server is not verified; use https://"
            )
    if settings.tls.ca_bundle is not None:
        warnings.append(
            f"tls.ca_bundle: also trusting the CA certificate(s) in {settings.tls.ca_bundle}; "
            "any server with a certificate from that CA is believed. Remove the key once "
            "the endpoints have public certificates"
        )
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        if environ.get(name) and not _is_system_trust_store(environ[name]):
            warnings.append(
                f"${name} is set ({environ[name]}): TLS certificates may be checked against "
                f"it instead of the public CAs; unset it, and use [tls] ca_bundle to trust "
                "a private CA"
            )
    return tuple(warnings)


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
        if any(_covers(key, dotted_key) for key in self.env_keys):
            return "env"
        if any(_covers(key, dotted_key) for key in self.file_keys):
            return "file"
        return "default"

    def effective_values(self) -> Iterator[tuple[str, str, Source]]:
        """Every effective value as (dotted key, printable value, source); secrets masked."""
        for key, value in _flatten(self.settings.model_dump()):
            yield key, _printable(key, value), self.source_of(key)


def _covers(given: str, key: str) -> bool:
    return key == given or key.startswith(given + ".")


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


def _flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from _flatten(value, dotted + ".")
        else:
            yield dotted, value


def _env_keys(environ: Mapping[str, str]) -> frozenset[str]:
    keys = set()
    for name in environ:
        upper = name.upper()
        if upper.startswith(ENV_PREFIX) and upper != "LEADSYNC_CONFIG":
            parts = upper[len(ENV_PREFIX) :].lower().split(ENV_NESTED_DELIMITER)
            if parts[0] in Settings.model_fields:
                keys.add(".".join(parts))
    return frozenset(keys)


def _read_toml(path: Path, reason: str) -> dict[str, Any]:
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


def _permission_warnings(path: Path, data: Mapping[str, Any]) -> tuple[str, ...]:
    """A file that holds a secret must not be readable by others."""
    holds_secret = any(key in SECRET_KEYS for key, _ in _flatten(data))
    warning = exposure_warning(path, "secrets") if holds_secret else None
    return () if warning is None else (warning,)


def _describe_validation_error(
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
    if any(_covers(key, secret) for secret in SECRET_KEYS):
        return ""
    if isinstance(value, bool | int | float) or (isinstance(value, str) and len(value) <= 60):
        return f" (got {value!r})"
    return ""


def _unknown_env_problems(environ: Mapping[str, str]) -> list[str]:
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


def _env_parse_problems(exc: SettingsError, environ: Mapping[str, str]) -> list[str]:
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
        or dotted in _TABLE_KEYS
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
    if any(_covers(k, key) or _covers(key, k) for k in env_keys):
        return f" (set by ${env_name})"
    if any(_covers(k, key) or _covers(key, k) for k in file_keys):
        return " (in the config file)"
    return ""


def load_settings(config_path: str | os.PathLike[str] | None = None) -> LoadedSettings:
    """Find, read and validate the configuration, or raise `ConfigError`."""
    path, reason = find_config_file(config_path)
    file_data = _read_toml(path, reason) if path is not None else {}
    file_keys = frozenset(key for key, _ in _flatten(file_data))
    env_keys = _env_keys(os.environ)

    unknown_env = _unknown_env_problems(os.environ)
    loaded_cls = type("LoadedSettingsModel", (Settings,), {"file_data": file_data})
    try:
        settings = loaded_cls()
    except ValidationError as exc:
        problems = _describe_validation_error(exc, file_keys, env_keys)
        raise ConfigError(unknown_env + problems, path) from None
    except SettingsError as exc:
        raise ConfigError(unknown_env + _env_parse_problems(exc, os.environ), path) from None
    if unknown_env:
        raise ConfigError(unknown_env, path)
    warnings = _permission_warnings(path, file_data) if path is not None else ()
    warnings += _tls_warnings(settings, os.environ)
    warnings += store_warnings(settings.database_file)
    return LoadedSettings(settings, path, reason, file_keys, env_keys, warnings)
