"""Shared fixtures: a migrated database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set), the local
Slack Web API fake, and tierbot itself served over real HTTP."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from sqlalchemy import text

from bot.accounts.tiering import record_tier, tier_of
from bot.config import Settings
from bot.policy.model import Policy, load_policy
from bot.services import Services
from bot.slack.server import create_wsgi
from bot.text import normalize
from storage.db import Database
from storage.models import Account, Base
from storage.versions import ACCOUNT_NAMES, ACCOUNTS, bump_version
from tests.fake_slack import FakeSlack
from tests.slack_http import SIGNING_SECRET, SlackHTTP

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@pytest.fixture(scope="session")
def _pg_database() -> Iterator[Database | None]:
    if not PG_URL:
        yield None
        return
    db = Database(PG_URL)
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path, _pg_database: Database | None) -> Iterator[Database]:
    """A migrated, empty database: a fresh SQLite file, or the shared PostgreSQL database truncated."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'tierbot.db'}")
        database.upgrade()
        yield database
        database.dispose()
        return
    assert _pg_database is not None
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with _pg_database.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield _pg_database


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy()


@pytest.fixture(scope="session")
def _fake_slack_server() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_slack(_fake_slack_server: FakeSlack) -> FakeSlack:
    _fake_slack_server.reset()
    return _fake_slack_server


@pytest.fixture
def settings(db: Database, fake_slack: FakeSlack) -> Settings:
    return Settings(
        _env_file=None,
        database_url=db.url,
        slack_bot_token="xoxb-test-token-123456",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
        admin_user_ids="UADMIN",
        decisions_channel="CDECISIONS",
    )


@pytest.fixture
def services(settings: Settings, db: Database, policy: Policy) -> Services:
    # version_ttl=0: every lookup re-checks the data version, so tests see writes at once.
    return Services(settings=settings, db=db, policy=policy, version_ttl=0.0)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def app_url(services: Services) -> Iterator[str]:
    """tierbot's WSGI app served over HTTP on a free local port."""
    server = make_server("127.0.0.1", 0, create_wsgi(services), _ThreadingWSGIServer, _QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def slack(app_url: str, fake_slack: FakeSlack) -> SlackHTTP:
    return SlackHTTP(base_url=app_url, response_url=fake_slack.response_url())


def add_account(
    db: Database,
    policy: Policy,
    name: str,
    acv: str | int = 10000,
    *,
    external_id: str | None = None,
    domain: str | None = None,
    usage_criticality: str = "medium",
    strategic: bool = False,
    health_score: int | None = None,
    owner: str | None = None,
    region: str | None = None,
) -> int:
    """Insert one account with its evaluated tier (tests use this instead of the CSV importer)."""
    now = datetime.now(UTC)
    with db.session() as session:
        account = Account(
            name=name,
            name_key=normalize(name),
            external_id=external_id,
            domain=domain,
            acv=Decimal(str(acv)),
            usage_criticality=usage_criticality,
            strategic=strategic,
            health_score=health_score,
            owner=owner,
            region=region,
            tier="",
        )
        session.add(account)
        session.flush()
        record_tier(
            session, account, tier_of(session, policy, account, now), cause="import", actor="test", now=now
        )
        bump_version(session, ACCOUNTS)
        bump_version(session, ACCOUNT_NAMES)
        return account.id
