"""CLI tests run `tierbot` against the test database through the environment, as a user would."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config import get_settings
from storage.db import Database


@pytest.fixture
def cli_env(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    env = {"DATABASE_URL": db.url, "SLACK_BOT_TOKEN": "", "SLACK_SIGNING_SECRET": "", "SLACK_APP_TOKEN": ""}
    for key, value in env.items():
        if value:
            monkeypatch.setenv(key, value)
        else:
            monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(db.url.rsplit("/", 1)[0].removeprefix("sqlite:///") if db.is_sqlite else "/tmp")
    get_settings.cache_clear()
    yield env
    get_settings.cache_clear()
