"""What the /tier card shows of the decisions that touch an account or its tier.

Placeholder until decision records exist: the decisions work replaces the body of `decisions_touching`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class DecisionBrief:
    short_id: str  # "D-42"
    title: str
    status: str  # open | reviewed | reversed | superseded ...
    review_date: date | None


def decisions_touching(session: Session, account_id: int, tier: str, limit: int = 5) -> list[DecisionBrief]:
    return []
