"""A tier change refreshes the ladders of the account's open tickets: the next-due times are recomputed
on the next tick, whatever changed the tier (here an override over signed HTTP, and a CSV import). The ticket keeps the targets of the tier it was opened in (README, "Tier changes and open
tickets"); the ladder is the account's tier's now."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from sqlalchemy import select

from bot.accounts.importer import import_accounts
from bot.jobs import run_job
from bot.services import Services
from storage.db import Database
from storage.models import Account
from storage.models.alerts import AlertDue
from tests.alerts.helpers import account, ticket
from tests.fake_slack import FakeSlack
from tests.schedule.conftest import FakeClock
from tests.slack_http import SlackHTTP


def utc(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 23, hour, minute, tzinfo=UTC)  # a Monday; 09:00 in New York is 14:00 UTC


def next_step(db: Database, ticket_id: str = "T-1") -> datetime | None:
    with db.session() as session:
        return session.scalar(
            select(AlertDue.next_step_at).where(
                AlertDue.ticket_id == ticket_id, AlertDue.target == "first_response"
            )
        )


def test_an_override_to_enterprise_brings_the_enterprise_ladder_to_an_open_starter_ticket(
    slack: SlackHTTP, services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database
) -> None:
    acme = account(db, services.policy, "Acme Corp", 1000)  # Starter: ladder ["0"]
    # Starter sev1: first response in 4 business hours, 09:00 -> 13:00 New York (18:00 UTC).
    ticket(db, "T-1", acme, utc(14), sla_tier="starter")
    clock.set(utc(14, 1))
    run_job(services, "sla-alerts")
    assert next_step(db) == utc(18)  # Starter's only step: the breach

    answer = slack.command("/tier", "set Acme Corp to enterprise: renewal", user_id="UADMIN")
    assert "now *Enterprise*" in answer.text
    clock.set(utc(14, 5))
    run_job(services, "sla-alerts")
    # Enterprise's ladder on the ticket's own (Starter) target: -60m is 12:00 New York, 17:00 UTC.
    assert next_step(db) == utc(17)

    clock.set(utc(17))
    run_job(services, "sla-alerts")
    [post] = fake_slack.calls_to("chat.postMessage")
    assert post.params["channel"] == "CACME"
    text = json.dumps(post.params["blocks"])
    assert "due in *1h*" in text and "T-1" in text
    assert next_step(db) == utc(17, 45)  # then -15m, 0 and +30m as Enterprise's ladder goes on


def test_an_import_that_lowers_the_tier_drops_the_steps_the_new_ladder_has_not(
    services: Services, clock: FakeClock, db: Database
) -> None:
    report = import_accounts(
        db,
        services.policy,
        io.StringIO("name,external_id,acv,slack_channel\nAcme Corp,A-1,32000,C0ACME\n"),
        now=utc(13),
    )
    assert report.written
    with db.session() as session:
        acme = session.scalars(select(Account.id)).one()
    ticket(db, "T-1", acme, utc(14), severity="sev3", sla_tier="enterprise")  # 4 business hours: 18:00 UTC
    clock.set(utc(14, 1))
    run_job(services, "sla-alerts")
    assert next_step(db) == utc(17)  # Enterprise: -60m
    report = import_accounts(
        db,
        services.policy,
        io.StringIO("name,external_id,acv,slack_channel\nAcme Corp,A-1,1000,C0ACME\n"),
        now=utc(14, 2),
    )
    assert report.written and report.tier_moves
    clock.set(utc(14, 3))
    run_job(services, "sla-alerts")
    assert next_step(db) == utc(18)  # Starter's ladder has only the breach; the target stays Enterprise's
