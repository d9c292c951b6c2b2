"""Review reminders (owner DM + decisions channel, once per period, snoozable) and review-trigger
alerts (once per crossing), posted through the ledger to the Slack fake."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import update

from bot.jobs import run_job
from bot.reviews import snoozes
from bot.schedule import ledger
from bot.services import Services
from bot.views import decision_ids, reminder_ids
from storage.db import Database
from storage.models import Account
from tests.conftest import add_account
from tests.fake_slack import Call, FakeSlack
from tests.schedule.conftest import FakeClock, add_decision, add_trigger, utc


def posted(fake: FakeSlack) -> list[Call]:
    return fake.calls_to("chat.postMessage")


def where(calls: list[Call]) -> list[str]:
    return sorted(c.params["channel"] for c in calls)


def test_reminder_dms_the_owner_and_posts_to_the_decisions_channel_once_per_period(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database
) -> None:
    decision = add_decision(db, "Route Enterprise sev2 to the TAM pool", date(2026, 11, 25), owner="UOWNER")
    clock.set(utc(2026, 11, 21, 10))  # four days ahead: outside the 3-day lead
    run_job(services, "review-reminders")
    assert posted(fake_slack) == []

    clock.set(utc(2026, 11, 22, 10))
    run_job(services, "review-reminders")
    run_job(services, "review-reminders")
    clock.advance(hours=5)
    run_job(services, "review-reminders")
    calls = posted(fake_slack)
    assert where(calls) == ["CDECISIONS", "DUOWNER"]
    assert [c.params["users"] for c in fake_slack.calls_to("conversations.open")] == ["UOWNER"]
    dm = next(c for c in calls if c.params["channel"] == "DUOWNER")
    text = json.dumps(dm.params["blocks"])
    assert f"D-{decision}" in text and "Your decision" in text and "in 3 days" in text
    assert f"{reminder_ids.SNOOZE}:1d" in text and f"{reminder_ids.SNOOZE}:1w" in text
    # Mark reviewed and Open are the decision surface's own controls, so its listeners handle them.
    assert f'"action_id": "{decision_ids.MARK_REVIEWED}"' in text and f'"{decision}:continue"' in text
    assert f'"action_id": "{decision_ids.VIEW}"' in text
    channel_copy = json.dumps(next(c for c in calls if c.params["channel"] == "CDECISIONS").params["blocks"])
    assert "<@UOWNER>" in channel_copy

    clock.set(utc(2026, 11, 25, 8))  # the day itself: a new period
    run_job(services, "review-reminders")
    assert len(posted(fake_slack)) == 4
    assert {r.status for r in ledger.rows(db)} == {"sent"}  # the fake accepted every message
    periods = sorted({r.period for r in ledger.rows(db, "review-reminders")})
    assert periods == [f"D-{decision}:due:2026-11-25", f"D-{decision}:lead:2026-11-25"]


def test_snooze_silences_reminders_then_one_comes_after_it(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database
) -> None:
    decision = add_decision(db, "Price the Premium tier", date(2026, 11, 25))
    clock.set(utc(2026, 11, 22, 10))
    run_job(services, "review-reminders")
    assert len(posted(fake_slack)) == 2
    snoozes.snooze(db, decision, "UOWNER", utc(2026, 11, 26, 9), clock())
    clock.set(utc(2026, 11, 25, 8))  # due day, but snoozed
    run_job(services, "review-reminders")
    assert len(posted(fake_slack)) == 2
    clock.set(utc(2026, 11, 26, 9, 30))  # snooze over: one more reminder, once
    run_job(services, "review-reminders")
    run_job(services, "review-reminders")
    assert len(posted(fake_slack)) == 4


def test_reminder_without_a_user_id_owner_goes_to_the_channel_only(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database
) -> None:
    add_decision(db, "Legacy decision", date(2026, 11, 22), owner="Ana from support")
    clock.set(utc(2026, 11, 22, 10))
    run_job(services, "review-reminders")
    assert where(posted(fake_slack)) == ["CDECISIONS"]
    assert fake_slack.calls_to("conversations.open") == []


def test_trigger_fires_once_per_crossing(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database
) -> None:
    acct = add_account(db, services.policy, "Acme Corp", 32000, health_score=30)
    decision = add_decision(db, "Cut TAM hours for Enterprise", date(2027, 3, 1), owner="UOWNER")
    add_trigger(db, decision, "health_score", "<", 50, "enterprise")
    clock.set(utc(2026, 11, 22, 10))
    report = run_job(services, "review-triggers")
    assert sorted(o.status for o in report.outcomes) == ["sent", "sent"]
    calls = posted(fake_slack)
    assert where(calls) == ["CDECISIONS", "DUOWNER"]
    text = json.dumps(calls[-1].params["blocks"])
    assert "Review trigger fired" in text and f"D-{decision}" in text
    assert "Measured *30*" in text and "threshold *50*" in text

    for _ in range(3):  # still below the threshold: no new crossing
        clock.advance(minutes=1)
        run_job(services, "review-triggers")
    assert len(posted(fake_slack)) == 2

    with db.session() as session:  # recovers (re-arms silently), then falls again: a new crossing
        session.execute(update(Account).where(Account.id == acct).values(health_score=80))
    clock.advance(minutes=1)
    run_job(services, "review-triggers")
    assert len(posted(fake_slack)) == 2
    with db.session() as session:
        session.execute(update(Account).where(Account.id == acct).values(health_score=20))
    clock.advance(minutes=1)
    run_job(services, "review-triggers")
    assert len(posted(fake_slack)) == 4
    assert len({r.period for r in ledger.rows(db, "review-triggers")}) == 2
    assert {r.status for r in ledger.rows(db)} == {"sent"}


def test_trigger_dry_run_neither_posts_nor_arms(
    services: Services, clock: FakeClock, fake_slack: FakeSlack, db: Database
) -> None:
    add_account(db, services.policy, "Acme Corp", 32000, health_score=30)
    decision = add_decision(db, "Cut TAM hours", date(2027, 3, 1))
    add_trigger(db, decision, "health_score", "<", 50, "enterprise")
    clock.set(utc(2026, 11, 22, 10))
    dry = run_job(services, "review-triggers", dry_run=True)
    assert [o.status for o in dry.outcomes] == ["dry_run", "dry_run"]
    assert fake_slack.calls == []
    clock.advance(minutes=1)
    real = run_job(services, "review-triggers")  # the dry run did not consume the crossing
    assert [o.status for o in real.outcomes] == ["sent", "sent"]


def test_tier_recompute_lands_expired_overrides_in_history(
    services: Services, clock: FakeClock, db: Database
) -> None:
    from sqlalchemy import select

    from storage.models import TierChange, TierOverride

    acct = add_account(db, services.policy, "Small Co", 1000)
    with db.session() as session:
        session.add(
            TierOverride(
                account_id=acct,
                tier="enterprise",
                reason="pilot",
                set_by="UADMIN",
                expires_at=utc(2026, 11, 21),
                created_at=utc(2026, 11, 1),
            )
        )
        session.execute(update(Account).where(Account.id == acct).values(tier="enterprise"))
    clock.set(utc(2026, 11, 22, 0, 15))
    report = run_job(services, "tier-recompute")
    assert "1 account(s) changed tier" in report.notes[0]
    with db.session() as session:
        assert session.get(Account, acct).tier == "starter"  # type: ignore[union-attr]
        change = session.scalars(select(TierChange).order_by(TierChange.id.desc())).first()
        assert change is not None and change.to_tier == "starter" and change.cause == "policy"
    assert "0 account(s)" in run_job(services, "tier-recompute", clock() + timedelta(days=1)).notes[0]
