"""Screen tests: the fixture stores are closed after every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.screens.dashboard_fixtures import close_opened_databases
from tests.screens.metrics_fixtures import close_opened


@pytest.fixture(autouse=True)
def _close_fixture_databases() -> Iterator[None]:
    yield
    close_opened_databases()
    close_opened()  # the metrics fixtures' stores too (no test has to remember)
