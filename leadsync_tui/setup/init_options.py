"""`leadsync init`'s options (argparse only: the CLI imports this at start-up, so it
imports nothing heavy). Every answer of the guided set-up is an option, for scripts."""

from __future__ import annotations

import argparse

SECRET_FROM_STDIN = "-"


def add_init_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="the file to write, or to edit when it exists (default: $LEADSYNC_CONFIG, "
        "else the XDG config file)",
    )
    answers = parser.add_argument_group("answers (each defaults to what the file already says)")
    answers.add_argument("--domiq-url", metavar="URL", help="DomIQ's API, e.g. https://api...")
    answers.add_argument(
        "--domiq-token", metavar="TOKEN", help="DomIQ's API token; '-' reads it from stdin"
    )
    answers.add_argument("--resman-url", metavar="URL", help="e.g. https://api.myresman.com")
    answers.add_argument("--resman-partner-id", metavar="ID", help="ResMan IntegrationPartnerID")
    answers.add_argument(
        "--resman-api-key", metavar="KEY", help="ResMan API key; '-' reads it from stdin"
    )
    answers.add_argument("--resman-account-id", metavar="N", help="ResMan AccountID")
    mapping = parser.add_argument_group(
        "property mapping (proposed by name when not given)",
        "DOMIQ_PROP is a DomIQ property id (as in its leads); '*' means every property",
    )
    mapping.add_argument(
        "--pair",
        action="append",
        default=[],
        metavar="DOMIQ_PROP=RESMAN_PROP",
        help="pair a DomIQ property with a ResMan PropertyID (or exact name); repeatable",
    )
    mapping.add_argument(
        "--source", action="append", default=[], metavar="DOMIQ_PROP=ID", help="prospect source"
    )
    mapping.add_argument(
        "--agent", action="append", default=[], metavar="DOMIQ_PROP=ID", help="agent (employee)"
    )
    mapping.add_argument(
        "--lost-reason",
        action="append",
        default=[],
        metavar="[DOMIQ_PROP=]ID",
        help="lost-prospect reason (no DOMIQ_PROP= means every property)",
    )
    parser.add_argument(
        "--non-interactive",
        action="store_true",
        help="ask nothing: take every answer from the options and the existing file",
    )
