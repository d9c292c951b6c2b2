"""The local console drives the same Bolt app and prints what Slack would show."""

from __future__ import annotations

from collections.abc import Iterator

from bot.services import Services
from bot.slack.console import Console
from storage.db import Database
from tests.conftest import add_account


def scripted(lines: list[str]) -> Iterator[str]:
    yield from lines


def test_console_lookup_choice_and_share(db: Database, services: Services) -> None:
    add_account(db, services.policy, "Acme Corp", 32000, external_id="ACME-001")
    add_account(db, services.policy, "Acme Rockets", 3000)
    shown: list[str] = []
    inputs = scripted(["/tier ACME-001", "1", "acm", "9", "quit"])
    console = Console(services, show=shown.append)
    console.loop(read=lambda _prompt: next(inputs))
    out = "\n".join(shown)
    assert "Acme Corp · Enterprise" in out
    assert "ACV $32,000 ≥ $25,000 → Enterprise" in out
    assert "[1] Share in channel" in out
    assert "Shared by @UCONSOLE" in out  # button 1 went through the real action listener
    assert "Which one?" in out  # a bare word is a /tier query
    assert "No button [9]." in out


def test_console_help_and_unknown_command(db: Database, services: Services) -> None:
    shown: list[str] = []
    inputs = scripted(["/tier", "/nosuch thing", ""])
    console = Console(services, show=shown.append)

    def read(_prompt: str) -> str:
        try:
            return next(inputs)
        except StopIteration:
            raise EOFError from None

    console.loop(read=read)
    out = "\n".join(shown)
    assert "/tier ACCOUNT" in out
    assert "tierbot has no such command" in out
