"""Config: base URLs read by pydantic's URL type, and the file and the environment as
pydantic-settings sources of one `Settings` class (what a person editing the file sees)."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadsync_tui.config import ConfigError, Settings, load_settings
from tests.test_config import LIVE_CONFIG, write_config

DOMIQ_URL = "https://api.domiq.example/"


@pytest.fixture(autouse=True)
def no_private_trust_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's $SSL_CERT_FILE would add a TLS warning to every live config."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


def _problem(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(write_config(tmp_path, text))
    return str(caught.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://", "domiq.base_url: 'https://' has no host"),
        ("http://:8080", "domiq.base_url: 'http://:8080' has no host"),
        (
            "https://api.domiq.example:99999",
            "domiq.base_url: 'https://api.domiq.example:99999' is not a valid URL "
            "(invalid port number); write it as https://host/path",
        ),
    ],
)
def test_a_base_url_that_is_not_a_url_is_refused_with_the_reason(
    tmp_path: Path, url: str, expected: str
) -> None:
    assert expected in _problem(tmp_path, LIVE_CONFIG.replace(DOMIQ_URL, url))


@pytest.mark.parametrize(
    "url", ["me:pw-SEKRET@d.example", "https://me:pw-SEKRET@d example", "http://me:pw-SEKRET@x"]
)
def test_credentials_are_never_echoed_whatever_else_is_wrong(tmp_path: Path, url: str) -> None:
    text = _problem(tmp_path, LIVE_CONFIG.replace(DOMIQ_URL, url))
    assert "domiq.base_url: holds a user name or password" in text
    assert "SEKRET" not in text


def test_a_base_url_is_kept_as_written_without_its_trailing_slash(tmp_path: Path) -> None:
    text = LIVE_CONFIG.replace(DOMIQ_URL, "https://API.domiq.example/v1/")
    settings = load_settings(write_config(tmp_path, text)).settings
    assert settings.domiq.base_url == "https://API.domiq.example/v1"


def test_a_webhook_with_a_bad_port_is_refused_without_echo(tmp_path: Path) -> None:
    text = LIVE_CONFIG + '\n[alerts]\nwebhook_url = "https://hooks.example:99999/T0-SEKRET"\n'
    problem = _problem(tmp_path, text)
    assert "alerts.webhook_url: is not an http:// or https:// URL" in problem
    assert "SEKRET" not in problem


def test_every_load_gives_the_one_settings_class_with_the_environment_on_top(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(tmp_path, LIVE_CONFIG)
    monkeypatch.setenv("LEADSYNC_SYNC__POLL_INTERVAL", "12")
    first, second = load_settings(path), load_settings(path)
    assert type(first.settings) is Settings and type(second.settings) is Settings
    assert first.settings.sync.poll_interval == 12  # the environment wins over the file
    assert first.settings.sync.concurrency == 4  # the file wins over the default
    assert first.source_of("sync.poll_interval") == "env"
    assert first.source_of("sync.concurrency") == "file"


def test_a_file_key_named_like_a_settings_option_is_an_unknown_key(tmp_path: Path) -> None:
    problem = _problem(tmp_path, '_secrets_dir = "/tmp"\n' + LIVE_CONFIG)
    assert "_secrets_dir: unknown key in the top level; remove it or check its spelling" in problem
