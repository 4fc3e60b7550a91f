"""Isolation for every test: no developer's config, data dir, LEADSYNC_* or SSL_CERT_* env
leaks in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import os

    for name in list(os.environ):
        if name.upper().startswith("LEADSYNC_") or name == "TEXTUAL_THEME":
            monkeypatch.delenv(name)
    # A machine whose SSL_CERT_FILE/DIR point away from the system store makes leadsync
    # warn on every start (and changes which CAs httpx trusts): not the tests' business.
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    # The app names `$USER` in its header and audit log: the same on every machine here.
    monkeypatch.setenv("USER", "tester")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    yield
