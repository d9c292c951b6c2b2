"""The data a scenario reads, in compact numpy arrays (no ORM objects).

`fetch` reads a `Source`, independent of the time of the run (`bot.scenarios.cache` keeps it between
runs); `window` cuts the `Snapshot` of one run out of it. Accounts: ACV, usage criticality and
strategic flag (what the rules read), plus the tier of an active override. Tickets created in the last
N days: account (as an index into the account arrays), severity, created / first-response / solved
instants as epoch seconds (the latter two from the wall-clock minutes stored on each ticket) and handle
minutes. 1,000,000 tickets take 41 MB; everything else a scenario computes is derived from these
arrays. Read-only: SELECTs only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import BigInteger, Case, ColumnElement, Connection, case, cast, func, select
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


def _window(conn: Connection | Session, since: datetime) -> list[ColumnElement[bool]]:
    """The created_at filter of the tickets read; on SQLite without the index when they are a quarter
    or more of all tickets (PostgreSQL's planner makes that choice itself)."""
    indexed = [Ticket.created_at >= since]
    bind = conn.get_bind() if isinstance(conn, Session) else conn
    if bind.dialect.name != "sqlite":
        return indexed
    inside = conn.scalar(select(func.count()).select_from(Ticket).where(*indexed)) or 0
    total = conn.scalar(select(func.count()).select_from(Ticket)) or 0
    if inside * 4 < total:
        return indexed
    return [unindexed(Ticket.created_at) >= since]


def _numbers(text: str | None, dtype: type[np.generic]) -> npt.NDArray[Any]:
    """Parse a `joined` string in C. Reading a million rows as Python tuples costs ~6 objects a row
    (seconds); one string per column is parsed by numpy at ~50 ns a value."""
    if not text:
        return np.empty(0, dtype=dtype)
    return np.fromstring(text, dtype=dtype, sep=",")


def _whole(value: ColumnElement[Any] | InstrumentedAttribute[Any]) -> ColumnElement[Any]:
    return cast(func.coalesce(value, _MISSING), BigInteger)


@dataclass(frozen=True)
class Source:
    """What `load` reads from the database, independent of `now`: accounts, the uncleared overrides
    with their expiry, and the tickets created since `since`, sorted by creation. `window` cuts a
    `Snapshot` out of it for any (now, days) whose window starts at or after `since`, with slices
    (views, no copies), so one Source serves every run until the data change (`bot.scenarios.cache`).
    1,000,000 tickets take 41 MB (8 + 1 + 8 + 8 + 8 + 8 bytes a ticket); 100,000 accounts 1.8 MB."""

    since: float  # epoch seconds
    account_ids: Ints  # sorted
    acv: Floats
    criticality: Small
    strategic: Bools
    override_account: Ints  # index into the account arrays, oldest override first
    override_tier: npt.NDArray[np.str_]
    override_expires: Floats  # epoch seconds; inf: no expiry
    ticket_account: Ints
    severity: Small
    created: Floats  # whole epoch seconds, ascending
    first_response: Floats
    solved: Floats
    handle_minutes: Floats

    def __post_init__(self) -> None:
        # Shared by every run until the data change: a run that wrote into them would change the
        # next run's data, so writing raises instead (slices of a read-only array are read-only).
        for name in ARRAYS:
            getattr(self, name).flags.writeable = False

    @property
    def nbytes(self) -> int:
        return sum(int(getattr(self, name).nbytes) for name in ARRAYS)

    def covers(self, now: datetime, days: int) -> bool:
        return (now - timedelta(days=days)).timestamp() >= self.since


ARRAYS = tuple(f for f in Source.__dataclass_fields__ if f != "since")


def fetch(conn: Connection | Session, since: datetime) -> Source:
    """Read the accounts, the overrides and the tickets created at or after `since` (SELECTs only)."""
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

    # Uncleared overrides whatever their expiry: `window` keeps those active at its `now` (a few
    # hundred rows at most, so they are read as rows).
    rows = conn.execute(
        select(TierOverride.account_id, TierOverride.tier, TierOverride.expires_at)
        .where(TierOverride.cleared_at.is_(None))
        .order_by(TierOverride.id)  # the newest wins, as in lookups
    ).all()
    where = np.searchsorted(ids, np.array([int(r[0]) for r in rows], dtype=np.int64))
    known = np.array(
        [i < ids.size and ids[i] == r[0] for i, r in zip(where.tolist(), rows, strict=True)], dtype=np.bool_
    )

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
        ).where(*_window(conn, since))
    ).one()
    account, severity, created, first_response, resolution, handle = (_numbers(t, np.int64) for t in row)
    del row
    by_time = np.argsort(created, kind="stable")  # so that any window is one slice
    created_at = created[by_time].astype(np.float64)

    def instant(minutes: Ints) -> Floats:
        """created + minutes, as epoch seconds; NaN where the minutes are missing (still open)."""
        m = minutes[by_time]
        out: Floats = np.where(m == _MISSING, np.nan, created_at + m * 60.0)
        return out

    handle = handle[by_time]
    severity = severity[by_time]
    return Source(
        since=since.timestamp(),
        account_ids=ids,
        acv=acv,
        criticality=crit,
        strategic=strategic,
        override_account=where[known].astype(np.int64),
        override_tier=np.array([r[1] for r in rows], dtype=np.str_)[known] if rows else np.empty(0, np.str_),
        override_expires=np.array(
            [math.inf if r[2] is None else r[2].timestamp() for r in rows], dtype=np.float64
        )[known]
        if rows
        else np.empty(0, np.float64),
        ticket_account=np.searchsorted(ids, account[by_time]).astype(np.int64),
        severity=np.where(severity < 0, SEVERITIES.index("sev3"), severity).astype(np.int8),
        created=created_at,
        first_response=instant(first_response),
        solved=instant(resolution),
        handle_minutes=np.where(handle == _MISSING, 0.0, handle.astype(np.float64)),
    )


def window(source: Source, now: datetime, days: int) -> Snapshot:
    """The snapshot of (now, days): tickets created in [now - days, now) in whole seconds (slices of
    the source, no copies) and the overrides active at `now`. Requires `source.covers(now, days)`."""
    if not source.covers(now, days):
        raise ValueError(f"the source starts after the {days}-day window before {now.isoformat()}")
    lo = int(np.searchsorted(source.created, (now - timedelta(days=days)).timestamp(), side="left"))
    hi = int(np.searchsorted(source.created, now.timestamp(), side="left"))
    overrides: dict[int, str] = {}
    for i, tier, expires in zip(
        source.override_account.tolist(),
        source.override_tier.tolist(),
        source.override_expires.tolist(),
        strict=True,
    ):
        if expires > now.timestamp():
            overrides[i] = tier  # later (newer) rows replace earlier ones
    return Snapshot(
        now=now,
        days=days,
        account_ids=source.account_ids,
        acv=source.acv,
        criticality=source.criticality,
        strategic=source.strategic,
        overrides=tuple(sorted(overrides.items())),
        ticket_account=source.ticket_account[lo:hi],
        severity=source.severity[lo:hi],
        created=source.created[lo:hi],
        first_response=source.first_response[lo:hi],
        solved=source.solved[lo:hi],
        handle_minutes=source.handle_minutes[lo:hi],
    )


def load(conn: Connection | Session, now: datetime, days: int) -> Snapshot:
    """Read the data of one run, uncached (`bot.scenarios.cache` keeps the `Source` between runs)."""
    return window(fetch(conn, now - timedelta(days=days)), now, days)
