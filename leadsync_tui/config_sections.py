"""The configuration's sections, one model each: `[domiq]`, `[resman]` with its
properties, `[sync]`, `[store]`, `[alerts]`, `[policy]`, `[roles]` and `[tls]`.

Each key is typed, bounded and documented where it is declared, and each check says
what to write instead; `config.py` puts them together and loads them.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from leadsync_tui.locations import default_database_file
from leadsync_tui.models import Resolution
from leadsync_tui.roles import Role
from leadsync_tui.store_location import check_postgres_url

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


_HTTP_URL: TypeAdapter[AnyHttpUrl] = TypeAdapter(AnyHttpUrl)
"""pydantic's http(s) URL: scheme, host, port and credentials parsed, not split by hand."""


def parse_http_url(text: str) -> AnyHttpUrl | None:
    """`text` as an http(s) URL, or None when it is not one."""
    try:
        return _HTTP_URL.validate_python(text)
    except ValidationError:
        return None


def _require_http_url(value: str | None) -> str | None:
    """A base URL as written (trailing `/` dropped), once pydantic has read it as http(s)."""
    if value is None:
        return None
    value = value.strip()
    if "://" in value:
        written, rest = value.split("://", 1)
        scheme: str | None = written.lower() or None
    else:
        scheme, rest = None, value
    scheme_given = scheme in ("http", "https")
    if scheme_given:
        value = f"{scheme}://{rest}"  # HTTPS://host is https://host
    try:
        # Read as http whatever the scheme, so credentials are found (and never echoed).
        url: AnyHttpUrl | None = _HTTP_URL.validate_python(
            value if scheme_given else f"http://{rest}"
        )
        problem = ""
    except ValidationError as exc:
        url = None
        problem = str(exc.errors()[0]["msg"]).removeprefix("Input should be a valid URL, ")
    if (url is not None and (url.username or url.password)) or (url is None and "@" in value):
        # Not echoed: the part before @ is a password.
        raise ValueError(
            "holds a user name or password (user:password@host); remove it: "
            "credentials belong in the token / api_key keys"
        )
    if scheme is not None and not scheme_given:
        raise ValueError(
            f"{value!r} has no http:// or https:// scheme: {scheme}:// is not one leadsync "
            "speaks; write it as https://host/path"
        )
    if not scheme_given:
        raise ValueError(
            f"{value!r} has no http:// or https:// scheme; write it as https://host/path"
        )
    if url is None:
        if problem == "empty host":
            raise ValueError(f"{value!r} has no host")
        raise ValueError(f"{value!r} is not a valid URL ({problem}); write it as https://host/path")
    if url.query is not None or url.fragment is not None or "?" in value or "#" in value:
        # Only the part before them is echoed: a query may carry a key.
        base = value.split("?", 1)[0].split("#", 1)[0]
        raise ValueError(
            f"{base!r} is followed by a query string or #fragment; a base URL takes none "
            "(leadsync adds each request's path and parameters to it): remove the ?... part"
        )
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


class StoreSettings(_Section):
    """`[store]`: a team's shared store. Leave it out and every leadsync on this box
    shares the SQLite file `[sync] database`; with a url, every leadsync on every box
    that names it shares one PostgreSQL database (one engine sends, the others watch)."""

    url: str | None = None
    """`postgresql://user@host:5432/dbname` (libpq's URL: `?sslmode=verify-full` and the
    like are passed on). Never a password: `password`, `$PGPASSWORD` or `~/.pgpass`."""
    password: SecretStr | None = None
    """The PostgreSQL password, when `$PGPASSWORD` and `~/.pgpass` are not used."""

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        return None if value is None else check_postgres_url(value)


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
        if not text.startswith(("http://", "https://")) or parse_http_url(text) is None:
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
