"""The hand-computed data set of the README's "Per-tier report" section (worked there line by line).

Now is Sunday 22 Nov 2026 12:00 UTC; `7d` is [15 Nov 12:00, 22 Nov 12:00) against [8 Nov 12:00, 15 Nov
12:00). Enterprise sev1 targets are 30m / 4h and sev2 1h / 8h round the clock, $95 an hour; Starter
sev3 is 16h / 40h in business hours, $45 an hour.
"""

from __future__ import annotations

from bot.policy.model import Policy
from storage.db import Database
from tests.sla.factories import add_account, load, ticket, utc

NOW = utc(2026, 11, 22, 12, 0)


def seed(db: Database, policy: Policy) -> None:
    add_account(db, "E1", "enterprise", 50000, health=80)
    add_account(db, "E2", "enterprise", 30000, health=60)
    add_account(db, "S1", "starter", 1000, health=40)
    load(db, policy, [
        # This period, Enterprise.
        ticket("T1", "E1", "sev1", "solved", utc(2026, 11, 20, 10), first_response_at=utc(2026, 11, 20, 10, 20),
               solved_at=utc(2026, 11, 20, 12), handle_minutes=60, agent_replies=1, csat=5),
        ticket("T2", "E1", "sev2", "solved", utc(2026, 11, 21, 8), first_response_at=utc(2026, 11, 21, 9, 30),
               solved_at=utc(2026, 11, 21, 18), handle_minutes=120, agent_replies=3, csat=3),
        ticket("T3", "E2", "sev2", "closed", utc(2026, 11, 19, 0), first_response_at=utc(2026, 11, 19, 0, 30),
               solved_at=utc(2026, 11, 19, 4), handle_minutes=30, agent_replies=0),
        ticket("T4", "E2", "sev1", "new", utc(2026, 11, 22, 7)),  # both targets already missed at noon
        # The previous period, Enterprise.
        ticket("T5", "E1", "sev2", "solved", utc(2026, 11, 10, 9), first_response_at=utc(2026, 11, 10, 9, 45),
               solved_at=utc(2026, 11, 10, 15), handle_minutes=90, agent_replies=1, csat=4),
        # This period, Starter (Tuesday, inside business hours).
        ticket("T6", "S1", "sev3", "solved", utc(2026, 11, 17, 15), first_response_at=utc(2026, 11, 17, 16),
               solved_at=utc(2026, 11, 17, 20), handle_minutes=45, agent_replies=1, csat=2),
    ])  # fmt: skip
