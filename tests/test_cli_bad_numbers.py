"""Numbers on the command line that mean nothing: one line naming the option and a value
to pass instead, exit code 2, no traceback and nothing started."""

from __future__ import annotations

import pytest

from leadsync_tui.cli import main


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "-1"])
def test_max_wait_refuses_nan_inf_and_negative(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sync", "--headless", "--once", f"--max-wait={value}"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "--max-wait" in lines[0] and "--max-wait 60" in lines[0]
    assert "Traceback" not in captured.err
    assert captured.out == ""  # refused before the engine (or a demo world) started
