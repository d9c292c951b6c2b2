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

import numpy as np
import numpy.typing as npt
from sqlalchemy import Case, Connection, case, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from bot.policy.model import CRITICALITIES, SEVERITIES
from bot.sla.sqltime import epoch
from storage.models import Account
from storage.models.accounts import TierOverride
from storage.models.tickets import Ticket

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Small = npt.NDArray[np.int8]
Bools = npt.NDArray[np.bool_]
_CHUNK = 100_000  # rows per fetch: bounds the Python tuples alive at once (~10 MB)


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
    oldest = conn.scalar(select(func.min(epoch(Ticket.created_at))))
    if oldest is None:
        return 0
    return max(1, math.ceil((now.timestamp() - float(oldest)) / 86400))


def _codes(column: InstrumentedAttribute[str], values: tuple[str, ...]) -> Case[int]:
    """The column as small integer codes (index into `values`, -1 for anything else), in SQL."""
    return case({v: i for i, v in enumerate(values)}, value=column, else_=-1)


def load(conn: Connection | Session, now: datetime, days: int) -> Snapshot:
    rows = conn.execute(
        select(
            Account.id,
            Account.acv,
            _codes(Account.usage_criticality, CRITICALITIES),
            Account.strategic,
        ).order_by(Account.id)
    ).all()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    acv = np.fromiter((float(r[1]) for r in rows), dtype=np.float64, count=len(rows))
    crit = np.fromiter((r[2] for r in rows), dtype=np.int8, count=len(rows))
    crit[crit < 0] = CRITICALITIES.index("medium")  # the import's default for a missing value
    strategic = np.fromiter((bool(r[3]) for r in rows), dtype=np.bool_, count=len(rows))
    del rows

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
    result = conn.execute(
        select(
            Ticket.account_id,
            _codes(Ticket.severity, SEVERITIES),
            epoch(Ticket.created_at),
            # The wall-clock minutes stored when the ticket was written (one timestamp parsed per row,
            # not three: on SQLite the parsing is most of the read).
            func.coalesce(Ticket.first_response_minutes, Ticket.resolution_minutes),
            Ticket.resolution_minutes,
            Ticket.handle_minutes,
        ).where(Ticket.created_at >= start, Ticket.created_at < now)
    )
    chunks: list[Floats] = []
    while batch := result.fetchmany(_CHUNK):
        # Rows as plain tuples: numpy probing a Row as a mapping costs an exception per row.
        chunks.append(np.array(list(map(tuple, batch)), dtype=np.float64))  # None -> NaN
    table = np.concatenate(chunks) if chunks else np.empty((0, 6), dtype=np.float64)
    del chunks
    account_index = np.searchsorted(ids, table[:, 0].astype(np.int64)).astype(np.int64)
    severity = table[:, 1].astype(np.int8)
    return Snapshot(
        now=now,
        days=days,
        account_ids=ids,
        acv=acv,
        criticality=crit,
        strategic=strategic,
        overrides=tuple(sorted(overrides.items())),
        ticket_account=account_index,
        severity=np.where(severity < 0, SEVERITIES.index("sev3"), severity).astype(np.int8),
        created=np.ascontiguousarray(table[:, 2]),
        first_response=table[:, 2] + table[:, 3] * 60,
        solved=table[:, 2] + table[:, 4] * 60,
        handle_minutes=np.nan_to_num(np.ascontiguousarray(table[:, 5])),
    )
