"""Applying one page of CRM records to the accounts: match, normalise, re-tier, write in bulk.

A record is matched by (source, source_id); failing that, an account imported from CSV with the same
external id is adopted (it gains the source). Writes are the CSV import's bulk statements; the tier
history gets what `record_tier` writes (one entry per new account and per moved tier), with cause
"sync", so 100 records cost a handful of statements, not hundreds. A changed health score of a stored
account is recorded in the health history, as the CSV import does, so health alerts fire on synced data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from bot.accounts.bulk import ROW_ID, insert_rows, insert_with_ids, update_rows
from bot.accounts.delta import Delta, RuleBasis, deltas_json, explain
from bot.accounts.tiering import load_basis
from bot.alerts.service import record_health_changes
from bot.policy.evaluate import AccountFacts, Override, evaluate
from bot.policy.model import Policy
from bot.sync.records import FIELDS, Normaliser, Reject
from bot.sync.types import RemoteAccount
from storage.models import Account, TierChange, TierOverride
from storage.versions import ACCOUNT_NAMES, ACCOUNTS, bump_version

CAUSE = "sync"
ACCOUNTS_TABLE = cast(Table, Account.__table__)
HISTORY_TABLE = cast(Table, TierChange.__table__)
_AT = {name: i for i, name in enumerate(FIELDS)}
_HEALTH = _AT["health_score"]


@dataclass(frozen=True, slots=True)
class TierMove:
    account_id: int
    name: str
    from_tier: str | None
    to_tier: str
    detail: str


@dataclass(slots=True)
class PageResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0  # removed at the source (a deleted helpdesk ticket)
    rejects: list[Reject] = field(default_factory=list)
    moves: list[TierMove] = field(default_factory=list)


class Tiers:
    """evaluate() with a memo on the facts: many accounts share round ACVs."""

    def __init__(self, policy: Policy, now: datetime) -> None:
        self.policy, self.now = policy, now
        self.memo: dict[tuple[Decimal, str, bool], tuple[str, str]] = {}
        self.basis: RuleBasis | None = None
        self.basis_read = False

    def explain(
        self,
        session: Session,
        old: tuple[Any, ...],
        new: tuple[Any, ...],
        old_tier: str,
        tier: str,
        override: Override | None,
    ) -> tuple[Delta, ...]:
        """What made the difference for a move (few per page: the rules' basis is read once a run)."""
        if not self.basis_read:
            self.basis, self.basis_read = load_basis(session), True
        return explain(
            self.policy, old_tier=old_tier, new_tier=tier, old_facts=_facts(old), new_facts=_facts(new),
            old_basis=self.basis, old_override=override, new_override=override,
        )  # fmt: skip

    def __call__(self, values: tuple[Any, ...], override: Override | None) -> tuple[str, str]:
        key = (values[_AT["acv"]], values[_AT["usage_criticality"]], values[_AT["strategic"]])
        if override is None and (hit := self.memo.get(key)) is not None:
            return hit
        result = evaluate(self.policy, AccountFacts(*key), override, self.now)
        out = result.tier, "; ".join(r.text for r in result.reasons if r.applied)
        if override is None and len(self.memo) < 4096:
            self.memo[key] = out
        return out


def _facts(values: tuple[Any, ...]) -> AccountFacts:
    return AccountFacts(values[_AT["acv"]], values[_AT["usage_criticality"]], values[_AT["strategic"]])


def _overrides(session: Session, ids: Sequence[int], now: datetime) -> dict[int, Override]:
    """As tiering.active_override, for these accounts in one query."""
    if not ids:
        return {}
    t = TierOverride.__table__.c
    rows = session.execute(
        select(t.account_id, t.tier, t.reason, t.set_by, t.expires_at)
        .where(t.cleared_at.is_(None), t.account_id.in_(ids))
        .order_by(t.account_id, t.created_at.desc(), t.id.desc())
    )
    latest: dict[int, Override | None] = {}
    for row in rows:
        if row.account_id not in latest:
            expired = row.expires_at is not None and row.expires_at <= now
            latest[row.account_id] = (
                None if expired else Override(row.tier, row.reason, row.set_by, row.expires_at)
            )
    return {k: v for k, v in latest.items() if v is not None}


def _stored(session: Session, where: Any) -> list[Any]:
    c = ACCOUNTS_TABLE.c
    return list(
        session.execute(
            select(
                c.id,
                c.tier,
                c.source,
                c.source_id,
                c.source_updated_at,
                *(c[f] for f in FIELDS),
                c.source_removed_at,
            ).where(where)
        )
    )


def apply_page(
    session: Session,
    source: str,
    records: Sequence[RemoteAccount],
    normalise: Normaliser,
    tiers: Tiers,
    now: datetime,
) -> PageResult:
    """Write one page in the session's transaction (the caller saves the cursor and commits)."""
    result = PageResult()
    good: dict[str, tuple[tuple[Any, ...], datetime | None]] = {}
    for record in records:
        checked = normalise(record)
        if isinstance(checked, list):
            result.rejects.extend(checked)
        else:
            good[record.source_id] = (checked, record.updated_at)  # a repeated id: the later wins
    if not good:
        return result
    c = ACCOUNTS_TABLE.c
    stored = {
        row.source_id: row for row in _stored(session, (c.source == source) & c.source_id.in_(list(good)))
    }
    ext_at = _AT["external_id"]
    wanted_ext = {
        v[ext_at]: sid for sid, (v, _) in good.items() if sid not in stored and v[ext_at] is not None
    }
    by_ext = (
        {row.external_id: row for row in _stored(session, c.external_id.in_(list(wanted_ext)))}
        if wanted_ext
        else {}
    )
    matched: dict[str, Any] = {}
    for sid in good:
        row = stored.get(sid)
        if row is None:
            ext = good[sid][0][ext_at]
            row = by_ext.get(ext) if ext is not None else None
            if row is not None and (row.source is not None or wanted_ext.get(ext) != sid):
                owner = (
                    f"{row.source} record {row.source_id}" if row.source else "another record of this page"
                )
                result.rejects.append(
                    Reject(
                        sid,
                        "external_id",
                        f"external_id {ext!r} already belongs to account #{row.id} ({owner})",
                    )
                )
                continue
        matched[sid] = row
    overrides = _overrides(session, [r.id for r in matched.values() if r is not None], now)

    inserts: list[dict[str, Any]] = []
    new_meta: list[tuple[str, str]] = []  # (tier, detail) per insert
    updates: list[dict[str, Any]] = []
    moves: list[tuple[int, str, str | None, str, str]] = []
    deltas: list[tuple[Delta, ...]] = []
    health: list[tuple[int, int | None, int | None]] = []  # (account, old, new), as the CSV import records
    for sid, row in matched.items():
        values, changed_at = good[sid]
        if row is not None:
            values = tuple(
                row[5 + i] if normalise.keeps(name) else values[i] for i, name in enumerate(FIELDS)
            )
        try:
            tier, detail = tiers(values, overrides.get(row.id) if row is not None else None)
        except KeyError as exc:
            result.rejects.append(
                Reject(
                    sid,
                    "tier",
                    f"account #{row.id if row else '?'} has an override to tier {exc.args[0]!r}, which the policy no longer has",
                )
            )
            continue
        out = dict(zip(FIELDS, values, strict=True))
        out.update(tier=tier, source_id=sid, source_updated_at=changed_at)
        if row is None:
            inserts.append(out)
            new_meta.append((tier, detail))
            continue
        same = (
            row.tier == tier
            and tuple(row[5 : 5 + len(FIELDS)]) == values
            and row.source == source
            and row.source_removed_at is None  # a record read again was restored at its source
        )
        if same and row.source_updated_at == changed_at:
            result.unchanged += 1
            continue
        out[ROW_ID] = row.id
        updates.append(out)
        if same:
            result.unchanged += 1  # only the source's change time moved
            continue
        result.updated += 1
        if row[5 + _HEALTH] != values[_HEALTH]:
            health.append((row.id, row[5 + _HEALTH], values[_HEALTH]))
        if row.tier != tier:
            moves.append((row.id, values[0], row.tier, tier, detail))
            deltas.append(
                tiers.explain(
                    session, tuple(row[5 : 5 + len(FIELDS)]), values, row.tier, tier, overrides.get(row.id)
                )
            )
    if not inserts and not updates:
        return result
    bump_version(session, ACCOUNTS)
    bump_version(session, ACCOUNT_NAMES)
    session.flush()
    conn = session.connection()
    ids = insert_with_ids(
        conn, ACCOUNTS_TABLE, inserts, {"created_at": now, "updated_at": now, "source": source}
    )
    result.created = len(ids)
    update_rows(
        conn, ACCOUNTS_TABLE, updates, {"updated_at": now, "source": source, "source_removed_at": None}
    )
    history: list[dict[str, Any]] = [
        {"account_id": i, "from_tier": None, "to_tier": tier, "detail": detail, "delta": None}
        for i, (tier, detail) in zip(ids, new_meta, strict=True)
    ]
    history += [
        {"account_id": m[0], "from_tier": m[2], "to_tier": m[3], "detail": m[4], "delta": deltas_json(d)}
        for m, d in zip(moves, deltas, strict=True)
    ]
    insert_rows(conn, HISTORY_TABLE, history, {"cause": CAUSE, "actor": f"sync:{source}", "at": now})
    # Health scores keep their old value with its time: health alerts and the /tier trend read them.
    record_health_changes(session, health, now)
    result.moves = [TierMove(*m) for m in moves]
    return result


MARK_CHUNK = 1_000  # ids per IN (...): PostgreSQL takes at most 65,535 parameters, SQLite 32,766


def mark_removed(
    session: Session, source: str, removed: Sequence[tuple[str, datetime | None]], now: datetime
) -> int:
    """Mark the accounts whose source record was archived or deleted there (at that time, else `now`).
    The account stays with its decisions, overrides and history: /tier says it is gone at its source,
    and no tier is pushed to the record. Already marked ones are left as they are (idempotent), and so
    is an account whose record changed at its source after that time: it was restored and read again
    (a delete log or archive list read later in the same run still names it)."""
    if not removed:
        return 0
    c = ACCOUNTS_TABLE.c
    when = dict(removed)
    ids = list(when)
    marks: list[dict[str, Any]] = []
    for start in range(0, len(ids), MARK_CHUNK):
        rows = session.execute(
            select(c.id, c.source_id, c.source_updated_at).where(
                c.source == source,
                c.source_id.in_(ids[start : start + MARK_CHUNK]),
                c.source_removed_at.is_(None),
            )
        )
        for row in rows:
            at = when[row.source_id] or now
            if row.source_updated_at is None or row.source_updated_at < at:
                marks.append({"b_id": row.id, "b_at": at})
    if not marks:
        return 0
    bump_version(session, ACCOUNTS)  # cached /tier cards show it
    stmt = (
        update(ACCOUNTS_TABLE)
        .where(c.id == bindparam("b_id"))
        .values(source_removed_at=bindparam("b_at"), updated_at=now)
    )
    session.connection().execute(stmt, marks)
    return len(marks)
