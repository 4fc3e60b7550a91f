"""Config: file, env override, bad values, masking, and `leadsync config check`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from leadsync_tui.cli import main
from leadsync_tui.config import ConfigError, load_settings
from leadsync_tui.models import Resolution

SECRET_TOKEN = "dq-secret-token-41f9"
SECRET_KEY = "rm-secret-key-77ab"

LIVE_CONFIG = f"""
[domiq]
base_url = "https://api.domiq.example/"
token = "{SECRET_TOKEN}"

[resman]
base_url = "https://api.myresman.com"
integration_partner_id = "leadsync"
api_key = "{SECRET_KEY}"
account_id = 400

[resman.properties.prop_oakridge]
property_id = "6f1c4e0a-0000-4000-8000-000000000001"
source_id = "src-1"
agent_id = "emp-1"

[sync]
poll_interval = 45
concurrency = 4

[policy]
default = "manual_review"

[policy.fields]
notes = "domiq_wins"
"""


def write_config(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "leadsync.toml"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_no_config_anywhere_is_demo_mode() -> None:
    loaded = load_settings()
    assert loaded.settings.is_demo
    assert loaded.path is None


def test_a_live_file_is_read_with_secrets_kept_secret(tmp_path: Path) -> None:
    loaded = load_settings(write_config(tmp_path, LIVE_CONFIG))
    settings = loaded.settings
    assert not settings.is_demo
    assert settings.domiq.base_url == "https://api.domiq.example"
    assert settings.domiq.token is not None
    assert settings.domiq.token.get_secret_value() == SECRET_TOKEN
    assert SECRET_TOKEN not in repr(settings) and SECRET_KEY not in str(settings)
    assert settings.resman.property_ids == {"prop_oakridge": "6f1c4e0a-0000-4000-8000-000000000001"}
    assert settings.policy.for_field("notes") is Resolution.DOMIQ_WINS
    assert settings.policy.for_field("email") is Resolution.MANUAL_REVIEW
    assert loaded.source_of("sync.poll_interval") == "file"
    assert loaded.source_of("sync.max_attempts") == "default"


def test_env_overrides_the_file_and_is_reported_as_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEADSYNC_SYNC__POLL_INTERVAL", "10")
    loaded = load_settings(write_config(tmp_path, LIVE_CONFIG))
    assert loaded.settings.sync.poll_interval == 10
    assert loaded.source_of("sync.poll_interval") == "env"


def test_config_env_var_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(tmp_path, LIVE_CONFIG)
    monkeypatch.setenv("LEADSYNC_CONFIG", str(path))
    loaded = load_settings()
    assert loaded.path == path and loaded.path_reason == "$LEADSYNC_CONFIG"


def test_the_xdg_file_is_found(tmp_path: Path) -> None:
    xdg = Path(os.environ["XDG_CONFIG_HOME"]) / "leadsync" / "config.toml"
    xdg.parent.mkdir(parents=True)
    xdg.write_text(LIVE_CONFIG)
    assert load_settings().path == xdg


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[domiq]\nbase_url = "api.domiq.example"\n', "domiq.base_url: 'api.domiq.example' has no"),
        ('[domiq]\ntoken = ""\n', "domiq.token: is empty"),
        ("[sync]\npoll_interval = -3\n", "sync.poll_interval: Input should be greater than 0"),
        ('[sync]\nconcurrency = "many"\n', "write a whole number"),
        ("[sync]\nturbo = true\n", "sync.turbo: unknown key in [sync]"),
        ('[policy.fields]\nemial = "domiq_wins"\n', "unknown field 'emial'"),
        ('[policy]\ndefault = "merged"\n', "'merged' needs a person"),
        ('[domiq]\nbase_url = "https://d.example"\n', "missing domiq.token"),
        ("[domiq\n", "is not valid TOML"),
    ],
)
def test_bad_values_name_the_key_and_the_fix(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write_config(tmp_path, text))
    assert expected in str(caught.value)


def test_a_missing_explicit_file_is_an_error_not_demo(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_a_world_readable_file_with_secrets_warns_with_the_chmod(tmp_path: Path) -> None:
    path = write_config(tmp_path, LIVE_CONFIG, mode=0o644)
    loaded = load_settings(path)
    assert loaded.warnings == (
        f"{path} holds secrets and is readable by other users (mode -rw-r--r--); "
        f"fix with: chmod 600 {path}",
    )


def test_config_check_prints_values_with_sources_and_masks_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEADSYNC_SYNC__CONCURRENCY", "2")
    path = write_config(tmp_path, LIVE_CONFIG)
    assert main(["config", "check", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert SECRET_TOKEN not in out and SECRET_KEY not in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert lines["domiq.token"].endswith("******** (set, hidden)  [file]")
    assert lines["sync.concurrency"].endswith("2  [env]")
    assert lines["sync.max_attempts"].endswith("8  [default]")
    assert "mode: live" in out and out.rstrip().endswith("config OK")


def test_config_check_on_a_bad_file_exits_2_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, '[resman]\naccount_id = "four hundred"\n')
    assert main(["config", "check", "--config", str(path)]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert "resman.account_id" in captured.err and "write a whole number" in captured.err


def test_config_check_with_no_config_reports_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "check"]) == 0
    assert "none (demo mode)" in capsys.readouterr().out
