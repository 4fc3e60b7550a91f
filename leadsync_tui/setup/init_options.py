"""`leadsync init`'s answers, typed (the options are declared in `commands.init`). Every
answer of the guided set-up is an option, for scripts."""

from __future__ import annotations

from dataclasses import dataclass

SECRET_FROM_STDIN = "-"


@dataclass(frozen=True)
class InitAnswers:
    """What was given on the command line; `None` or empty means "what the file says"."""

    config: str | None = None
    domiq_url: str | None = None
    domiq_token: str | None = None
    resman_url: str | None = None
    resman_partner_id: str | None = None
    resman_api_key: str | None = None
    resman_account_id: str | None = None
    pair: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    agent: tuple[str, ...] = ()
    lost_reason: tuple[str, ...] = ()
    non_interactive: bool = False
