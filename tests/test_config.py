"""Config: file, env override, bad values, masking, and `leadsync config check`."""

from __future__ import annotations

import os
import re
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


@pytest.fixture(autouse=True)
def no_private_trust_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's $SSL_CERT_FILE would add a TLS warning to every live config."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


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


# --------------------------------------------------------------- every command answers

BAD_FILES = {
    "unknown key": ("[sync]\nturbo = true\n", "sync.turbo: unknown key in [sync]; remove it"),
    "wrong type": (
        '[sync]\nconcurrency = "many"\n',
        "sync.concurrency: Input should be a valid integer, unable to parse string as an "
        "integer; write a whole number (got 'many')",
    ),
    "empty token": (
        LIVE_CONFIG.replace(SECRET_TOKEN, ""),
        "domiq.token: is empty; set it, or remove the key to use demo mode",
    ),
    "url without scheme": (
        LIVE_CONFIG.replace("https://api.domiq.example/", "api.domiq.example"),
        "domiq.base_url: 'api.domiq.example' has no http:// or https:// scheme; write it as "
        "https://host/path",
    ),
    "url with another scheme": (
        LIVE_CONFIG.replace("https://api.domiq.example/", "ftp://api.domiq.example/"),
        "domiq.base_url: 'ftp://api.domiq.example/' has no http:// or https:// scheme: "
        "ftp:// is not one leadsync speaks; write it as https://host/path",
    ),
    "url with a query string": (
        LIVE_CONFIG.replace("https://api.domiq.example/", "https://api.domiq.example/v1?a=1"),
        "domiq.base_url: 'https://api.domiq.example/v1' is followed by a query string or "
        "#fragment; a base URL takes none (leadsync adds each request's path and parameters "
        "to it): remove the ?... part",
    ),
    "unknown role": (
        '[roles.users]\nalice = "boss"\n',
        "roles.users.alice: Input should be 'viewer', 'operator' or 'manager' (got 'boss')",
    ),
    "not TOML": ("[domiq\n", "is not valid TOML"),
    "not UTF-8": (b"[sync]\nconcurrency = 2 # \xff\xfe\n", "is not UTF-8 text; save it as UTF-8"),
}

COMMANDS = {
    "tui (default)": [],
    "tui": ["tui"],
    "sync": ["sync", "--headless", "--once"],
    "status": ["status"],
    "status --json": ["status", "--json"],
    "audit": ["audit"],
    "audit --json": ["audit", "--json"],
    "config check": ["config", "check"],
}


def _run(command: list[str], path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    argv = ["--config", str(path), *command] if not command else [*command, "--config", str(path)]
    code = main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert SECRET_TOKEN not in captured.out + captured.err
    assert SECRET_KEY not in captured.out + captured.err
    return code, captured.err


@pytest.mark.parametrize("command", COMMANDS.values(), ids=list(COMMANDS))
@pytest.mark.parametrize(("text", "expected"), BAD_FILES.values(), ids=list(BAD_FILES))
def test_every_command_answers_a_bad_file_with_key_problem_fix_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    text: str | bytes,
    expected: str,
) -> None:
    path = tmp_path / "leadsync.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    path.chmod(0o600)
    code, err = _run(command, path, capsys)
    assert code == 2
    assert f"leadsync: configuration problem in {path}:" in err
    assert expected in err


UNREADABLE = {
    "a directory": (lambda p: p.mkdir(), "is a directory; point --config at the TOML file"),
    "missing": (lambda p: None, "does not exist; create it"),
}


@pytest.mark.parametrize("command", COMMANDS.values(), ids=list(COMMANDS))
@pytest.mark.parametrize(("make", "expected"), UNREADABLE.values(), ids=list(UNREADABLE))
def test_every_command_answers_an_unreadable_path(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    make: object,
    expected: str,
) -> None:
    path = tmp_path / "leadsync.toml"
    make(path)  # type: ignore[operator]
    code, err = _run(command, path, capsys)
    assert code == 2 and expected in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
@pytest.mark.parametrize("command", COMMANDS.values(), ids=list(COMMANDS))
def test_every_command_answers_a_file_without_read_permission(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    path = write_config(tmp_path, LIVE_CONFIG, mode=0o000)
    code, err = _run(command, path, capsys)
    assert code == 2
    assert f"cannot read config file {path}: permission denied" in err
    assert f"chmod 600 {path}" in err


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("LEADSYNC_DOMIQ__TOKEN", "", "domiq.token: is empty"),
        ("LEADSYNC_DOMIQ__TOKEN", "   ", "domiq.token: is empty"),
        ("LEADSYNC_DOMIQ__BASE_URL", "d.example", "domiq.base_url: 'd.example' has no http://"),
        ("LEADSYNC_SYNC__POLL_INTERVAL", "fast", "sync.poll_interval: Input should be a valid"),
        ("LEADSYNC_SYNC__TURBO", "1", "sync.turbo: unknown key in [sync]"),
        ("LEADSYNC_TURBO", "1", "$LEADSYNC_TURBO: unknown setting in the environment"),
        ("LEADSYNC_SYNC", "fast", "$LEADSYNC_SYNC: is not valid JSON"),
        ("LEADSYNC_ROLES__USERS", "alice=manager", "$LEADSYNC_ROLES__USERS: is not valid JSON"),
    ],
)
@pytest.mark.parametrize("command", COMMANDS.values(), ids=list(COMMANDS))
def test_every_command_answers_bad_environment_values(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    variable: str,
    value: str,
    expected: str,
) -> None:
    monkeypatch.setenv(variable, value)
    assert main(command) == 2
    captured = capsys.readouterr()
    assert expected in captured.err and "Traceback" not in captured.err
    assert f"(set by ${variable})" in captured.err or variable in expected


def test_a_secret_of_the_wrong_type_is_never_echoed(tmp_path: Path) -> None:
    path = write_config(tmp_path, "[domiq]\ntoken = 918273645\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert "domiq.token: Input should be a valid string" in str(caught.value)
    assert "918273645" not in str(caught.value)


def test_credentials_in_a_url_are_refused_without_being_echoed(tmp_path: Path) -> None:
    text = LIVE_CONFIG.replace("https://api.domiq.example/", "https://me:pw-SEKRET@d.example")
    with pytest.raises(ConfigError) as caught:
        load_settings(write_config(tmp_path, text))
    assert "domiq.base_url: holds a user name or password" in str(caught.value)
    assert "SEKRET" not in str(caught.value)


@pytest.mark.parametrize(
    "command",
    [["status"], ["audit"], ["config", "check"]],
    ids=["status", "audit", "config check"],
)
def test_commands_warn_about_a_readable_secrets_file_with_the_chmod_and_go_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    path = write_config(tmp_path, LIVE_CONFIG, mode=0o640)
    code, err = _run(command, path, capsys)
    assert code != 2 or "no sync database" in err  # a warning, not a config failure
    assert "configuration problem" not in err
    assert (
        f"leadsync: warning: {path} holds secrets and is readable by other users "
        f"(mode -rw-r-----); fix with: chmod 600 {path}"
    ) in err


def test_a_readable_file_without_secrets_is_fine(tmp_path: Path) -> None:
    assert load_settings(write_config(tmp_path, "[sync]\nconcurrency = 2\n", 0o644)).warnings == ()


def test_the_chmod_fix_quotes_an_awkward_path(tmp_path: Path) -> None:
    folder = tmp_path / "my configs"
    folder.mkdir()
    path = write_config(folder, LIVE_CONFIG, mode=0o604)
    [warning] = load_settings(path).warnings
    assert warning.endswith(f"fix with: chmod 600 '{path}'")


# --------------------------------------------------------------------------- TLS


def _ca_bundle(tmp_path: Path) -> Path:
    """A real PEM CA certificate (the first one of certifi's bundle)."""
    import certifi

    text = Path(certifi.where()).read_text()
    begin = text.index("-----BEGIN CERTIFICATE-----")
    end = text.index("-----END CERTIFICATE-----", begin) + len("-----END CERTIFICATE-----")
    path = tmp_path / "private-ca.pem"
    path.write_text(text[begin:end] + "\n")
    return path


def test_tls_verification_is_on_for_real_endpoints(tmp_path: Path) -> None:
    import ssl

    from leadsync_tui.clients.domiq import DomiqClient
    from leadsync_tui.clients.resman import ResmanClient
    from leadsync_tui.config import tls_context

    settings = load_settings(write_config(tmp_path, LIVE_CONFIG)).settings
    context = tls_context(settings)
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    # What the clients build today (httpx's default context): verification on.
    for client in (
        DomiqClient.from_settings(settings.domiq),
        ResmanClient.from_settings(settings.resman),
    ):
        built = client._http._transport._pool._ssl_context  # type: ignore[attr-defined]
        assert built.verify_mode is ssl.CERT_REQUIRED and built.check_hostname


def test_a_ca_bundle_is_trusted_in_addition_and_warned_about_every_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from leadsync_tui.config import tls_context

    bundle = _ca_bundle(tmp_path)
    path = write_config(tmp_path, LIVE_CONFIG + f'\n[tls]\nca_bundle = "{bundle}"\n')
    loaded = load_settings(path)
    assert loaded.settings.tls.ca_bundle == bundle
    (tmp_path / "public").mkdir()
    public = load_settings(write_config(tmp_path / "public", LIVE_CONFIG)).settings
    assert tls_context(loaded.settings).verify_mode == tls_context(public).verify_mode
    [warning] = loaded.warnings
    assert warning.startswith(f"tls.ca_bundle: also trusting the CA certificate(s) in {bundle}")
    for command in (["config", "check"], ["status"], ["audit"]):
        _, err = _run(command, path, capsys)
        assert "leadsync: warning: tls.ca_bundle: also trusting" in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("not a certificate\n", "holds no PEM certificate"),
        ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "not a usable CA"),
    ],
)
def test_a_bad_ca_bundle_is_a_config_error(tmp_path: Path, text: str, expected: str) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text(text)
    with pytest.raises(
        ConfigError, match=rf"tls\.ca_bundle: {re.escape(str(bundle))} .*{expected}"
    ):
        load_settings(write_config(tmp_path, f'[tls]\nca_bundle = "{bundle}"\n'))


def test_a_missing_ca_bundle_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"tls\.ca_bundle: cannot read .*nope\.pem"):
        load_settings(write_config(tmp_path, f'[tls]\nca_bundle = "{tmp_path}/nope.pem"\n'))


def test_plain_http_to_a_remote_host_is_warned_about(tmp_path: Path) -> None:
    text = LIVE_CONFIG.replace("https://api.domiq.example/", "http://api.domiq.example")
    [warning] = load_settings(write_config(tmp_path, text)).warnings
    assert warning.startswith("domiq.base_url uses http:// to a remote host")


@pytest.mark.parametrize("host", ["127.0.0.1:8701", "localhost", "[::1]:80"])
def test_plain_http_to_loopback_is_quiet(tmp_path: Path, host: str) -> None:
    text = LIVE_CONFIG.replace("https://api.domiq.example/", f"http://{host}")
    assert load_settings(write_config(tmp_path, text)).warnings == ()


def test_a_private_ssl_cert_file_is_warned_about(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(_ca_bundle(tmp_path)))
    [warning] = load_settings(write_config(tmp_path, LIVE_CONFIG)).warnings
    assert warning.startswith("$SSL_CERT_FILE is set")


def test_the_system_trust_store_in_ssl_cert_file_is_quiet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
    monkeypatch.setenv("SSL_CERT_DIR", "/etc/ssl/certs")
    assert load_settings(write_config(tmp_path, LIVE_CONFIG)).warnings == ()
