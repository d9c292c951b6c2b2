"""Migration 0009 creates exactly what the tier-change models describe (delta column, basis, reports),
and seeds the report state so that a deploy does not post again what the old job posted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun import freeze_time
from sqlalchemy import inspect, select

from bot.policy.model import Policy
from bot.services import Services
from storage.db import Database, alembic_config
from storage.models import Account
from storage.models.tierchanges import TierChangeReport
from tests.fake_slack import FakeSlack
from tests.schema_diff import schema_diffs
from tests.tierchanges.helpers import live, posted, put, tick

TABLES = {"tier_history", "tier_rule_basis", "tier_change_reports"}
DEPLOY = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)
MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) >= TABLES
        assert "delta" in {c["name"] for c in inspect(conn).get_columns("tier_history")}
        diffs = schema_diffs(conn)
    assert [d for d in diffs if any(t in repr(d) for t in TABLES)] == []


def _migrate(db: Database, revision: str, down: bool = False) -> None:
    from alembic import command

    with db.engine.begin() as conn:
        cfg = alembic_config(db.url)
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_a_deploy_does_not_post_the_moves_the_old_job_posted(
    services: Services, db: Database, policy: Policy, fake_slack: FakeSlack
) -> None:
    """The job before 0009 posted each move of the last day; upgrading must not post them again."""
    put(db, policy, DEPLOY - 60 * HOUR, 10000, name="Old Corp", external_id="OLD")
    put(db, policy, DEPLOY - 59 * HOUR, 26500, name="Old Corp", external_id="OLD")  # past the seed's 48 h
    put(db, policy, DEPLOY - 40 * HOUR, 10000)
    put(db, policy, DEPLOY - 30 * HOUR, 26500)  # Acme: Professional -> Enterprise, posted yesterday
    put(db, policy, DEPLOY - 3 * HOUR, 3000, name="Beta Inc", external_id="BETA")  # new: not a move
    put(db, policy, DEPLOY - 2 * HOUR, 10000, name="Beta Inc", external_id="BETA")  # posted this morning
    _migrate(db, "0008", down=True)  # the database as the old release left it (no report rows)
    try:
        with freeze_time(DEPLOY):
            _migrate(db, "head")
    finally:
        db.upgrade()
    with db.session() as session:
        seeded = {
            name: (r.reported_tier, r.moved_from, r.quiet_until)
            for r, name in session.execute(
                select(TierChangeReport, Account.name).join(
                    Account, Account.id == TierChangeReport.account_id
                )
            )
        }
    assert seeded == {
        "Acme Corp": ("enterprise", "professional", DEPLOY),
        "Beta Inc": ("professional", "starter", DEPLOY),
    }
    bot = live(services, policy)
    assert tick(bot, DEPLOY + MINUTE) == []
    assert tick(bot, DEPLOY + 25 * HOUR) == []
    assert fake_slack.calls_to("chat.postMessage") == []
    put(db, policy, DEPLOY + 26 * HOUR, 3000)  # the next move is reported as usual, from what was read
    assert tick(bot, DEPLOY + 26 * HOUR + MINUTE) == ["sent"]
    [text] = posted(fake_slack)
    assert "*Acme Corp* moved from *Enterprise* to *Starter*" in text
