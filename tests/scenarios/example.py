"""The small hand-computed data set the README works through (and `test_example.py` pins).

Two tiers on 24x7 calendars, each worked by one agent around the clock (M/M/1, where Erlang C is
P(wait) = ρ and W = ρ·h / (1 - ρ)); every ticket takes 630 handle minutes (h = 10.5 h) and the window is
7 days = 168 staffed hours. Resolution always comes 120 minutes after the first response.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.policy.model import load_policy
from storage.db import Database
from storage.models.tickets import Ticket
from tests.conftest import add_account

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HANDLE = 630

POLICY_FILE = Path(__file__).with_name("example_policy.toml")
POLICY = load_policy(POLICY_FILE)

# account: (ACV, usage criticality, {severity: first-response minutes})
ACCOUNTS = {
    "A1": (20000, "medium", {"sev1": 300, "sev2": 400}),
    "A2": (12000, "critical", {"sev1": 340, "sev2": 600}),
    "A3": (5000, "medium", {"sev1": 560, "sev2": 800}),
    "A4": (2000, "critical", {"sev1": 720, "sev2": 960}),
}


def seed(db: Database) -> dict[str, int]:
    ids: dict[str, int] = {}
    for name, (acv, crit, _) in ACCOUNTS.items():
        ids[name] = add_account(db, POLICY, name, acv, usage_criticality=crit)
    with db.session() as session:
        for n, (name, (_, _, times)) in enumerate(ACCOUNTS.items()):
            tier = "premium" if ACCOUNTS[name][0] >= 10000 else "basic"
            for m, (severity, minutes) in enumerate(times.items()):
                created = NOW - timedelta(days=3, hours=n * 4 + m)
                session.add(
                    Ticket(
                        id=f"T-{name}-{severity}",
                        account_id=ids[name],
                        severity=severity,
                        status="solved",
                        created_at=created,
                        first_response_at=created + timedelta(minutes=minutes),
                        solved_at=created + timedelta(minutes=minutes + 120),
                        handle_minutes=HANDLE,
                        agent_replies=1,
                        sla_tier=tier,
                        first_response_minutes=minutes,
                        resolution_minutes=minutes + 120,
                        first_response_met=None,
                        resolution_met=None,
                    )
                )
        # An old ticket: the data go back 30 days, so days=31 is refused.
        session.add(
            Ticket(
                id="T-old",
                account_id=ids["A1"],
                severity="sev3",
                status="solved",
                created_at=NOW - timedelta(days=29, hours=12),
                first_response_at=NOW - timedelta(days=29, hours=11),
                solved_at=NOW - timedelta(days=29, hours=10),
                handle_minutes=60,
                agent_replies=1,
                sla_tier="premium",
                first_response_minutes=60,
                resolution_minutes=120,
            )
        )
    return ids
