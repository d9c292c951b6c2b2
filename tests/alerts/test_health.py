"""Health-score history from imports, the account's Slack channel from CSV, and drop episodes."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.accounts.importer import import_accounts
from bot.alerts import service
from bot.alerts.health import DropKind
from bot.policy.model import Policy
from storage.db import Database
from storage.models import Account
from storage.models.alerts import HealthChange
from tests.alerts.helpers import account

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def csv(health: int, channel: str = "c0acme1") -> io.StringIO:
    return io.StringIO(
        f"name,external_id,acv,health_score,slack_channel\nAcme Corp,A-1,32000,{health},{channel}\n"
    )


def test_an_import_that_changes_a_health_score_keeps_the_old_value(db: Database, policy: Policy) -> None:
    assert import_accounts(db, policy, csv(80), now=AT).written
    assert import_accounts(db, policy, csv(80), now=AT + timedelta(days=1)).unchanged == 1
    assert import_accounts(db, policy, csv(55), now=AT + timedelta(days=2)).written
    with db.session() as session:
        rows = session.execute(select(HealthChange.old_value, HealthChange.new_value, HealthChange.at)).all()
        channel = session.scalar(select(Account.slack_channel))
    assert [tuple(r) for r in rows] == [(80, 55, AT + timedelta(days=2))]
    assert channel == "C0ACME1"


def test_a_bad_slack_channel_is_refused_with_its_line(db: Database, policy: Policy) -> None:
    report = import_accounts(db, policy, csv(80, "#acme"), now=AT)
    assert not report.written
    assert "line 2: slack_channel '#acme' is not a Slack channel id" in str(report.errors[0])


def test_drop_episodes(db: Database, policy: Policy) -> None:
    acme = account(db, policy, health=90)
    tiny = account(db, policy, "Tiny", 100, channel=None)  # Starter: no health alerts

    def change(account_id: int, old: int, new: int, days_ago: float) -> None:
        with db.session() as session:
            service.record_health_change(session, account_id, old, new, AT - timedelta(days=days_ago))

    def drops() -> list[tuple[int, DropKind, int, int]]:
        with db.session() as session:
            found = service.health_drops(session, policy, AT, drop_points=15, drop_days=30, floor=40)
        return [(d.account_id, d.kind, d.peak, d.value) for d in found]

    change(acme, 90, 80, 20)
    change(tiny, 90, 10, 5)
    assert drops() == []
    change(acme, 80, 74, 10)  # 16 below the 90 of 20 days before
    change(acme, 74, 70, 5)  # the same drop
    assert drops() == [(acme, DropKind.FELL, 90, 70)]
    with db.session() as session:
        [drop] = service.health_drops(session, policy, AT, drop_points=15, drop_days=30, floor=40)
    assert drop.period == f"health:{acme}:{(AT - timedelta(days=10)).isoformat()}"
    assert drop.channel == "CACME"
    change(acme, 70, 88, 3)  # recovered: the drop is over
    assert drops() == []
    change(acme, 88, 38, 1)  # a new one, below the floor
    assert drops() == [(acme, DropKind.BELOW_FLOOR, 90, 38)]  # the peak of the last 30 days
