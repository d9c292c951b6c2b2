"""Lists of decision records: in force, due for review, or all; optionally those touching a tier or an
account. Built for 10,000+ records: the in-force/review-date index gives the order, a tier is checked
with one primary-key probe per candidate row (so a page of 20 stops early), and counts are capped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, select, union
from sqlalchemy.orm import Session

from bot.decisions.record import format_short_id
from bot.decisions.store import in_force
from storage.models.decisions import Decision, DecisionAccount, DecisionTier


class ListFilter(StrEnum):
    OPEN = "open"  # in force
    DUE = "due"  # in force and at or past its review date
    ALL = "all"


LIST_FILTERS = tuple(ListFilter)
# Past this many matches a list says "500+": an exact count would read every matching row each time,
# and a list shows 20 anyway.
COUNT_CAP = 500


@dataclass(frozen=True)
class ListQuery:
    status: ListFilter = ListFilter.OPEN
    tier: str | None = None
    account_id: int | None = None
    account_tier: str | None = None  # an account's tier also counts as touching it
    limit: int = 20


@dataclass(frozen=True)
class RecordLine:
    """One row of a list: enough to recognise a record and see whether it needs attention."""

    id: int
    title: str
    status: str
    last_outcome: str | None
    owner: str
    review_date: date
    in_force: bool

    @property
    def short_id(self) -> str:
        return format_short_id(self.id)


_LINE_COLUMNS = (
    Decision.id,
    func.substr(Decision.title, 1, 300).label("title"),  # titles may be 3,000 characters; a line shows 200
    Decision.status,
    Decision.last_outcome,
    Decision.owner,
    Decision.review_date,
    Decision.in_force,
)


Branch = Callable[[Select[Any]], Select[Any]]


def _status(query: ListQuery, today: date, *, indexed: bool) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.status in (ListFilter.OPEN, ListFilter.DUE):
        # Without table statistics SQLite prefers walking the in-force index and probing every row even
        # when a join would start from a few rows; coalesce of a NOT NULL column means the same and
        # takes the index out of the running where it must not be used.
        conditions.append(in_force() if indexed else func.coalesce(Decision.in_force, False).is_(True))
    if query.status == ListFilter.DUE:
        conditions.append(Decision.review_date <= today)
    return conditions


def _branches(query: ListQuery, today: date) -> list[Branch]:
    """One filter per way a record can match; "an account or its tier" is two branches, each walked on
    its own index and merged, because an OR of the two defeats both indexes."""
    base = _status(query, today, indexed=True)
    branches: list[Branch] = []
    account_id = query.account_id
    if account_id is not None:
        # An account is named by few records: drive from its handful of links, then sort them.
        steer = _status(query, today, indexed=False)

        def by_account(stmt: Select[Any]) -> Select[Any]:
            return stmt.join(DecisionAccount, DecisionAccount.decision_id == Decision.id).where(
                DecisionAccount.account_id == account_id, *steer
            )

        branches.append(by_account)
    tier = query.tier or query.account_tier
    if tier is not None:
        # A tier is named by thousands: probe per row in list order instead of materialising them all.
        named = exists().where(DecisionTier.decision_id == Decision.id, DecisionTier.tier == tier)
        branches.append(lambda stmt: stmt.where(named, *base))
    return branches or [lambda stmt: stmt.where(*base)]


def _merge(parts: list[Select[Any]]) -> Select[Any]:
    return parts[0] if len(parts) == 1 else union(*(select(p.subquery()) for p in parts))  # type: ignore[return-value]


def list_decisions(session: Session, query: ListQuery, today: date) -> tuple[list[RecordLine], int]:
    """The lines a list shows (open/due soonest review first, all newest first) and how many match,
    up to COUNT_CAP + 1 (more than COUNT_CAP reads as "COUNT_CAP+")."""
    branches = _branches(query, today)
    connection = session.connection()
    newest_first = query.status == ListFilter.ALL
    order = (Decision.id.desc(),) if newest_first else (Decision.review_date.asc(), Decision.id.asc())
    if len(branches) == 1:
        # Leading with in_force lets the in-force list walk ix_decisions_in_force_review_date unsorted.
        lead = () if newest_first else (Decision.in_force,)
        stmt = branches[0](select(*_LINE_COLUMNS)).order_by(*lead, *order).limit(query.limit)
    else:
        parts = [b(select(*_LINE_COLUMNS)).order_by(*order).limit(query.limit) for b in branches]
        merged = _merge(parts).subquery()
        by = (merged.c.id.desc(),) if newest_first else (merged.c.review_date.asc(), merged.c.id.asc())
        stmt = select(merged).order_by(*by).limit(query.limit)
    lines = [RecordLine(**row._mapping) for row in connection.execute(stmt)]
    ids = _merge([b(select(Decision.id)).limit(COUNT_CAP + 1) for b in branches]).subquery()
    total = connection.execute(select(func.count()).select_from(ids)).scalar() or 0
    return lines, min(total, COUNT_CAP + 1)


def count_text(total: int) -> str:
    return f"{COUNT_CAP:,}+" if total > COUNT_CAP else f"{total:,}"
