"""The whole configuration as one pydantic-settings model, and where its values come
from: the environment above the TOML file above the defaults.

The file reaches the model as its keyword arguments, ranked below the environment by
`settings_customise_sources`: one class, the same for every load.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import (
    Field,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from leadsync_tui.config_sections import (
    AlertsSettings,
    DomiqSettings,
    PolicySettings,
    ResmanSettings,
    RolesSettings,
    StoreSettings,
    SyncSettings,
    TlsSettings,
)
from leadsync_tui.locations import demo_database_file
from leadsync_tui.store_location import StoreLocation

ENV_PREFIX = "LEADSYNC_"
ENV_NESTED_DELIMITER = "__"


class Settings(BaseSettings):
    """The whole configuration. Build it with `load_settings`, not directly."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTED_DELIMITER,
        extra="forbid",
        frozen=True,
    )

    domiq: DomiqSettings = Field(default_factory=DomiqSettings)
    resman: ResmanSettings = Field(default_factory=ResmanSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
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

    @property
    def store_location(self) -> StoreLocation:
        """Where the store is: `[store] url` (PostgreSQL) if set, outside demo mode (the
        demo's store is always its own file); else the SQLite file `database_file`."""
        if self.store.url is not None and not self.is_demo:
            return StoreLocation.postgresql(self.store.url, self.store.password)
        return StoreLocation.sqlite(self.database_file)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The environment above the keyword arguments, which `load_settings` fills from
        the TOML file (read by us first, for errors that name the file); no `.env` file,
        no secrets directory."""
        return (env_settings, init_settings)


_REQUIRED_KEYS = {
    "domiq": ("base_url", "token"),
    "resman": ("base_url", "integration_partner_id", "api_key", "account_id"),
}

SECRET_KEYS = frozenset({"domiq.token", "resman.api_key", "alerts.webhook_url"})

TABLE_KEYS = frozenset({"resman.properties", "policy.fields", "roles.users"})
"""Keys whose value is a table: one environment variable can set them only as JSON."""
