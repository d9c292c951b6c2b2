"""The schedule is machinery only, and the digest, reviews and alerts capabilities know nothing of Slack
or of their adapters (issue 8). Read from the source, so a function-local import counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imports_of(package: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
        out[str(path.relative_to(ROOT))] = names
    return out


def offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path} imports {name}"
        for path, names in imports_of(package).items()
        for name in sorted(names)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]


ADAPTERS = ("bot.jobs", "bot.views", "bot.services", "bot.main", "bot.cli", "bot.slack", "handlers")


def test_schedule_is_machinery_only() -> None:
    assert offenders("bot/schedule", (*ADAPTERS, "bot.digest", "bot.reviews", "bot.policy")) == []


@pytest.mark.parametrize("capability", ["bot/digest", "bot/reviews", "bot/alerts"])
def test_capabilities_know_no_slack_and_no_adapter(capability: str) -> None:
    assert offenders(capability, (*ADAPTERS, "bot.schedule", "slack_bolt", "slack_sdk", "bot.text")) == []


def test_jobs_import_no_handler() -> None:
    assert offenders("bot/jobs", ("handlers", "bot.main", "bot.cli", "bot.slack")) == []
