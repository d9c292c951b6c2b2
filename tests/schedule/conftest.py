"""Fixtures for the schedule: a clock tests move by hand, seeded tickets, subscriptions, decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.digest.periods import Cadence
from bot.digest.subscriptions import SubscribeRequest, subscribe
from bot.services import Services
from storage.db import Database
from storage.models.decisions import Decision, ReviewTrigger
from storage.models.tickets import Ticket


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@dataclass
class FakeClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: datetime) -> None:
        self.now = when.astimezone(UTC)

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock(services: Services) -> FakeClock:
    fake = FakeClock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    services.clock = fake
    return fake


def add_ticket(
    db: Database,
    ticket_id: str,
    account_id: int,
    tier: str,
    created: datetime,
    *,
    severity: str = "sev1",
    subject: str = "",
) -> None:
    """An open ticket with no first response yet: breached once its first-response target has run."""
    with db.session() as session:
        session.add(
            Ticket(
                id=ticket_id,
                account_id=account_id,
                severity=severity,
                status="open",
                subject=subject or f"subject of {ticket_id}",
                created_at=created,
                sla_tier=tier,
            )
        )


def add_subscription(
    db: Database,
    channel: str,
    now: datetime,
    *,
    kind: str = "daily",
    at_time: str | None = "09:00",
    tz: str = "Europe/Paris",
    weekday: int | None = None,
    skip_holidays: str | None = None,
    tiers: tuple[str, ...] = (),
    user: str = "USUB",
) -> int:
    request = SubscribeRequest(None, Cadence(kind, tz, at_time, weekday, skip_holidays), tiers)
    sub, _ = subscribe(db, channel, request, user, now)
    return sub.id


def add_decision(db: Database, title: str, review_date: date, *, owner: str = "UOWNER") -> int:
    with db.session() as session:
        decision = Decision(
            title=title,
            horizon=review_date,
            owner=owner,
            status="open",
            chosen_option="A",
            review_date=review_date,
            source_channel="CSOURCE",
            created_by=owner,
        )
        session.add(decision)
        session.flush()
        return decision.id


def add_trigger(
    db: Database, decision_id: int, metric: str, comparison: str, threshold: float, tier: str
) -> int:
    with db.session() as session:
        trigger = ReviewTrigger(
            decision_id=decision_id,
            metric=metric,
            scope_tier=tier,
            comparison=comparison,
            threshold=threshold,
            window_days=30,
        )
        session.add(trigger)
        session.flush()
        return trigger.id
