"""What the /tier card shows of the decisions that touch an account or its tier.

Two index walks, newest first: `(account_id, decision_id)` and `(tier, decision_id)` each yield their
newest rows without sorting, so the cost does not grow with the number of decisions. The statement is
built once per limit and run on the Core connection: the SQL takes ~20 µs, building and running an ORM
statement per call would cost a hundred times that on every /tier lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, select, union
from sqlalchemy.orm import Session

from bot.decisions.record import format_short_id
from storage.models.decisions import Decision, DecisionAccount, DecisionStatus, DecisionTier


@dataclass(frozen=True)
class DecisionBrief:
    short_id: str  # "D-42"
    title: str
    status: str  # open | reviewed | reversed | superseded ...
    review_date: date | None


@lru_cache(maxsize=8)
def _statement(limit: int) -> Any:
    columns = (Decision.id, Decision.title, Decision.status, Decision.review_date)
    by_account = (
        select(*columns)
        .join(DecisionAccount, DecisionAccount.decision_id == Decision.id)
        .where(
            DecisionAccount.account_id == bindparam("account_id"),
            Decision.status != DecisionStatus.SUPERSEDED,
        )
        .order_by(DecisionAccount.decision_id.desc())
        .limit(limit)
        .subquery()
    )
    by_tier = (
        select(*columns)
        .join(DecisionTier, DecisionTier.decision_id == Decision.id)
        .where(DecisionTier.tier == bindparam("tier"), Decision.status != DecisionStatus.SUPERSEDED)
        .order_by(DecisionTier.decision_id.desc())
        .limit(limit)
        .subquery()
    )
    both = union(select(by_account), select(by_tier)).subquery()
    return select(both).order_by(both.c.id.desc()).limit(limit)


def decisions_touching(
    db: Session | Connection, account_id: int | None, tier: str, limit: int = 5
) -> list[DecisionBrief]:
    """Newest decisions naming the account or its tier; superseded ones are left out (their successor shows).

    `account_id=None` gives the tier's alone (no row's account_id equals NULL)."""
    conn = db.connection() if isinstance(db, Session) else db
    rows = conn.execute(_statement(limit), {"account_id": account_id, "tier": tier})
    return [DecisionBrief(format_short_id(r[0]), r[1], r[2], r[3]) for r in rows]
