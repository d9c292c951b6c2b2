"""A small synthetic history the backtest tests work by hand (`test_backtest.py`, `test_cli.py`).

The README example's policy: premium (ACV ≥ 10,000) and basic, one agent each around the clock (M/M/1:
W = ρ·h / (1 - ρ)). Every ticket is sev2 and takes 120 handle minutes (h = 2 h). Over 6 days, with
`min_tickets=4` only the first window (fit -6..-2 d = 96 h, hold back -2..0 d = 48 h) has cells:
- fit: 4 tickets a tier, λ = 4/96 per hour, ρ = 1/12, W = 120/11 ≈ 10.909 min in both tiers;
- hold back: 4 tickets a tier, λ = 4/48, ρ = 1/6, W = 24 min in both tiers;
- first responses: P1 (premium) 30, 50, 70, 90 then 40, 60, 80, 100 (medians 60 → 70);
  B1 (basic) 200, 240, 280, 320 then 250, 290, 310, 350 (medians 260 → 300).
Arrivals are evenly spaced, so the gaps and handle times do not vary (Ca² = Cs² = 0: Allen-Cunneen waits
are 0), and no two tickets of a tier are ever within 2 h (the simulated queues never wait).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from bot.policy.model import CRITICALITIES, SEVERITIES
from bot.scenarios.snapshot import Snapshot
from storage.db import Database
from storage.models.tickets import Ticket
from tests.conftest import add_account
from tests.scenarios.example import NOW, POLICY

DAYS = 6
HANDLE = 120
ACCOUNTS = {"P1": 20000, "B1": 5000}
# (account, age in days, first-response minutes)
TICKETS = [
    *(("P1", age, frt) for age, frt in zip((5.5, 4.5, 3.5, 2.5), (30, 50, 70, 90), strict=True)),
    *(("P1", age, frt) for age, frt in zip((1.75, 1.25, 0.75, 0.25), (40, 60, 80, 100), strict=True)),
    *(("B1", age, frt) for age, frt in zip((5.25, 4.25, 3.25, 2.25), (200, 240, 280, 320), strict=True)),
    *(("B1", age, frt) for age, frt in zip((1.9, 1.4, 0.9, 0.4), (250, 290, 310, 350), strict=True)),
]


def snapshot() -> Snapshot:
    """The history as `snapshot.load` would read it (accounts sorted by id: P1 = 0, B1 = 1)."""
    names = list(ACCOUNTS)
    created = np.array([NOW.timestamp() - age * 86400 for _, age, _ in TICKETS])
    frt = np.array([float(f) for _, _, f in TICKETS])
    return Snapshot(
        now=NOW,
        days=DAYS,
        account_ids=np.arange(len(names), dtype=np.int64),
        acv=np.array([float(ACCOUNTS[n]) for n in names]),
        criticality=np.full(len(names), CRITICALITIES.index("medium"), dtype=np.int8),
        strategic=np.zeros(len(names), dtype=np.bool_),
        overrides=(),
        ticket_account=np.array([names.index(a) for a, _, _ in TICKETS], dtype=np.int64),
        severity=np.full(len(TICKETS), SEVERITIES.index("sev2"), dtype=np.int8),
        created=created,
        first_response=created + frt * 60,
        solved=created + (frt + 60) * 60,
        handle_minutes=np.full(len(TICKETS), float(HANDLE)),
    )


def seed(db: Database) -> None:
    ids = {name: add_account(db, POLICY, name, acv) for name, acv in ACCOUNTS.items()}
    with db.session() as session:
        for n, (name, age, frt) in enumerate(TICKETS):
            created = NOW - timedelta(days=age)
            session.add(
                Ticket(
                    id=f"BT-{n}",
                    account_id=ids[name],
                    severity="sev2",
                    status="solved",
                    created_at=created,
                    first_response_at=created + timedelta(minutes=frt),
                    solved_at=created + timedelta(minutes=frt + 60),
                    handle_minutes=HANDLE,
                    agent_replies=1,
                    sla_tier="premium" if ACCOUNTS[name] >= 10000 else "basic",
                    first_response_minutes=frt,
                    resolution_minutes=frt + 60,
                )
            )
