"""The data a scenario reads, loaded once per run into compact numpy arrays (no ORM objects).

Accounts: ACV, usage criticality and strategic flag (what the rules read), plus the tier of an active
override. Tickets created in the last N days: account (as an index into the account arrays), severity,
created / first-response / solved instants as epoch seconds (the latter two from the wall-clock
minutes stored on each ticket) and handle minutes. 1,000,000 tickets take
~30 MB; everything else a scenario computes is derived from these arrays. Read-only: SELECTs only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import BigInteger, Case, ColumnElement, Connection, case, cast, func, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.functions import FunctionElement

from bot.policy.model import CRITICALITIES, SEVERITIES
from bot.sla.sqltime import joined, seconds
from storage.models import Account
from storage.models.accounts import TierOverride
from storage.models.tickets import Ticket

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Small = npt.NDArray[np.int8]
Bools = npt.NDArray[np.bool_]
_MISSING = -1  # stands for NULL inside `joined` strings (minutes and ids are never negative)


@dataclass(frozen=True)
class Snapshot:
    now: datetime
    days: int
    account_ids: Ints  # sorted
    acv: Floats
    criticality: Small  # index into CRITICALITIES
    strategic: Bools
    overrides: tuple[tuple[int, str], ...]  # (account index, tier key) of active overrides
    ticket_account: Ints  # index into the account arrays
    severity: Small  # index into SEVERITIES
    created: Floats  # epoch seconds
    first_response: Floats  # epoch seconds of the first response, else of the solution; NaN while open
    solved: Floats  # NaN while unsolved
    handle_minutes: Floats

    @property
    def accounts(self) -> int:
        return int(self.account_ids.size)

    @property
    def tickets(self) -> int:
        return int(self.created.size)


def data_days(conn: Connection | Session, now: datetime) -> int:
    """How many days back the tickets go (0 with none): the upper bound of `days`."""
    oldest: datetime | None = conn.scalar(select(func.min(Ticket.created_at)))  # one index probe
    if oldest is None:
        return 0
    elapsed: float = (now - oldest).total_seconds()
    return max(1, math.ceil(elapsed / 86400))


def _codes(column: InstrumentedAttribute[str], values: tuple[str, ...]) -> Case[int]:
    """The column as small integer codes (index into `values`, -1 for anything else), in SQL."""
    return case({v: i for i, v in enumerate(values)}, value=column, else_=-1)


class unindexed(FunctionElement[Any]):  # lower case: reads like SQL
    """The column, barred from index use on SQLite (`+column`, SQLite's documented way); as is
    elsewhere. When a window holds most tickets, SQLite still walks the created_at index and looks up
    each row (3.5 µs of CPU a row over a million); a plain scan costs a third of that."""

    inherit_cache = True
    name = "unindexed"

    def __init__(self, column: InstrumentedAttribute[Any]) -> None:
        super().__init__(column)
        self.type = column.type  # binds keep the column's type (UTCDateTime)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: Any, **kw: Any) -> str:
    (arg,) = element.clauses
    return f"+{compiler.process(arg, **kw)}"


@compiles(unindexed)
def _unindexed_default(element: unindexed, compiler: Any, **kw: Any) -> str:
    (arg,) = element.clauses
    return str(compiler.process(arg, **kw))


def _window(conn: Connection | Session, start: datetime, now: datetime) -> list[ColumnElement[bool]]:
    """The created_at filter of the window; on SQLite without the index when the window holds a quarter
    or more of all tickets (PostgreSQL's planner makes that choice itself)."""
    indexed = [Ticket.created_at >= start, Ticket.created_at < now]
    bind = conn.get_bind() if isinstance(conn, Session) else conn
    if bind.dialect.name != "sqlite":
        return indexed
    inside = conn.scalar(select(func.count()).select_from(Ticket).where(*indexed)) or 0
    total = conn.scalar(select(func.count()).select_from(Ticket)) or 0
    if inside * 4 < total:
        return indexed
    created = unindexed(Ticket.created_at)
    return [created >= start, created < now]


def _numbers(text: str | None, dtype: type[np.generic]) -> npt.NDArray[Any]:
    """Parse a `joined` string in C. Reading a million rows as Python tuples costs ~6 objects a row
    (seconds); one string per column is parsed by numpy at ~50 ns a value."""
    if not text:
        return np.empty(0, dtype=dtype)
    return np.fromstring(text, dtype=dtype, sep=",")


def _whole(value: ColumnElement[Any] | InstrumentedAttribute[Any]) -> ColumnElement[Any]:
    return cast(func.coalesce(value, _MISSING), BigInteger)


def load(conn: Connection | Session, now: datetime, days: int) -> Snapshot:
    accounts = conn.execute(
        select(
            joined(Account.id),
            joined(Account.acv),
            joined(_codes(Account.usage_criticality, CRITICALITIES)),
            joined(case((Account.strategic.is_(True), 1), else_=0)),
        )
    ).one()
    ids = _numbers(accounts[0], np.int64)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    acv = _numbers(accounts[1], np.float64)[order]
    crit = _numbers(accounts[2], np.int64)[order].astype(np.int8)
    crit[crit < 0] = CRITICALITIES.index("medium")  # the import's default for a missing value
    strategic = _numbers(accounts[3], np.int64)[order].astype(np.bool_)

    overrides: dict[int, str] = {}
    active = conn.execute(
        select(TierOverride.account_id, TierOverride.tier)
        .where(
            TierOverride.cleared_at.is_(None),
            or_(TierOverride.expires_at.is_(None), TierOverride.expires_at > now),
        )
        .order_by(TierOverride.id)  # the newest wins, as in lookups
    ).all()
    for account_id, tier in active:
        i = int(np.searchsorted(ids, account_id))
        if i < ids.size and ids[i] == account_id:
            overrides[i] = tier  # later (newer) rows replace earlier ones

    start = now - timedelta(days=days)
    row = conn.execute(
        select(
            joined(Ticket.account_id),
            joined(_codes(Ticket.severity, SEVERITIES)),
            joined(seconds(Ticket.created_at)),
            # The wall-clock minutes stored when the ticket was written (one timestamp parsed per row,
            # not three: on SQLite the parsing is much of the read).
            joined(_whole(func.coalesce(Ticket.first_response_minutes, Ticket.resolution_minutes))),
            joined(_whole(Ticket.resolution_minutes)),
            joined(_whole(Ticket.handle_minutes)),
        ).where(*_window(conn, start, now))
    ).one()
    account, severity, created, first_response, resolution, handle = (_numbers(t, np.int64) for t in row)
    del row
    created_at = created.astype(np.float64)

    def instant(minutes: Ints) -> Floats:
        """created + minutes, as epoch seconds; NaN where the minutes are missing (still open)."""
        out: Floats = np.where(minutes == _MISSING, np.nan, created_at + minutes * 60.0)
        return out

    return Snapshot(
        now=now,
        days=days,
        account_ids=ids,
        acv=acv,
        criticality=crit,
        strategic=strategic,
        overrides=tuple(sorted(overrides.items())),
        ticket_account=np.searchsorted(ids, account).astype(np.int64),
        severity=np.where(severity < 0, SEVERITIES.index("sev3"), severity).astype(np.int8),
        created=created_at,
        first_response=instant(first_response),
        solved=instant(resolution),
        handle_minutes=np.where(handle == _MISSING, 0.0, handle.astype(np.float64)),
    )
