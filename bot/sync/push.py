"""Where tiers are pushed: the helpdesk organization field and, optionally, a CRM property or field.

A target is one remote record kind: Zendesk organizations (linked to accounts by a helpdesk sync),
HubSpot companies or Salesforce Accounts (the accounts' own source records). `PushedTier` keeps the
tier last written to (or read from) each remote record per target, so only changed tiers are written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from bot.sync.helpdesk import ORGS, upsert_rows
from bot.sync.helpdesk import TARGET as ZENDESK
from bot.sync.types import HelpdeskSource, JobResult, RemoteAccount
from bot.text import storable
from storage.db import Database
from storage.models import Account
from storage.models.sync import PushedTier, PushFailure, SyncLink

HUBSPOT, SALESFORCE = "hubspot", "salesforce"
RETRY_AFTER = timedelta(hours=24)  # a refused record is sent again after this, or when its tier changes
SEEN_MAX = 64  # PushedTier.tier's length
TARGETS = (ZENDESK, HUBSPOT, SALESFORCE)
RECORD = {ZENDESK: "organization", HUBSPOT: "company", SALESFORCE: "account"}


@dataclass(frozen=True)
class PushTarget:
    name: str  # PushedTier.target; the run's lease and state row is "push-{name}"
    field: str  # the field or property written, for messages
    batch: int  # records per write call (the vendor's maximum)
    write: Callable[[Sequence[tuple[str, str]]], JobResult]

    @property
    def lease(self) -> str:
        return f"push-{self.name}"


def zendesk_target(helpdesk: HelpdeskSource, field: str, batch: int = 100) -> PushTarget:
    return PushTarget(ZENDESK, field, batch, lambda values: helpdesk.set_organization_field(field, values))


class _HubSpot(Protocol):
    def update_property(self, prop: str, values: Sequence[tuple[str, str]]) -> JobResult: ...


class _Salesforce(Protocol):
    def update_field(self, field: str, values: Sequence[tuple[str, str]]) -> JobResult: ...


def hubspot_target(client: _HubSpot, prop: str, batch: int = 100) -> PushTarget:
    return PushTarget(HUBSPOT, prop, batch, lambda values: client.update_property(prop, values))


def salesforce_target(client: _Salesforce, field: str, batch: int = 200) -> PushTarget:
    return PushTarget(SALESFORCE, field, batch, lambda values: client.update_field(field, values))


def changed_tiers(db: Database, target: str = ZENDESK) -> list[tuple[str, int, str]]:
    """(remote id, account id, tier) of the target's records whose tier differs from the last one
    written (or read) there: linked organizations for Zendesk, the accounts' own records for a CRM."""
    pushed = PushedTier.__table__.c
    remote: Any
    if target == ZENDESK:
        remote = SyncLink.remote_id
        stmt = (
            select(remote, Account.id, Account.tier)
            .join(Account, Account.id == SyncLink.account_id)
            .where(SyncLink.source == ORGS)
        )
    else:
        remote = Account.source_id
        stmt = select(remote, Account.id, Account.tier).where(
            Account.source == target, Account.source_id.is_not(None), Account.source_removed_at.is_(None)
        )
    stmt = (
        stmt.outerjoin(PushedTier, and_(pushed.target == target, pushed.remote_id == remote))
        .where(or_(pushed.tier.is_(None), pushed.tier != Account.tier))
        .order_by(remote)
    )
    with db.session() as session:
        return [(str(r[0]), r[1], r[2]) for r in session.execute(stmt)]


def record_seen(
    session: Session, target: str, records: Sequence[RemoteAccount], field: str, now: datetime
) -> None:
    """What the CRM records hold in the tier field now, as if pushed: a tier already there is not
    written again, and a value someone changed or cleared by hand there differs from ours and is
    written back."""
    # Stored as the CRM holds it, made storable (no NUL, no lone surrogate) and cut to the column. An
    # empty value was cleared by hand: recorded, so it differs from the tier and the next push writes it.
    seen = {r.source_id: storable(v)[:SEEN_MAX] for r in records if isinstance(v := r.values.get(field), str)}
    if not seen:
        return
    c = Account.__table__.c
    ids = session.execute(select(c.source_id, c.id).where(c.source == target, c.source_id.in_(list(seen))))
    rows = [
        {"target": target, "remote_id": sid, "account_id": account, "tier": seen[sid], "pushed_at": now}
        for sid, account in ids
    ]
    upsert_rows(session, PushedTier, ("target", "remote_id"), rows)


def held_back(db: Database, target: str, now: datetime) -> dict[str, str]:
    """remote id -> tier of the records the target refused less than RETRY_AFTER ago: they are not
    sent again with that tier (100,000 refused companies would be 1,000 calls every push)."""
    with db.session() as session:
        rows = session.execute(
            select(PushFailure.remote_id, PushFailure.tier).where(
                PushFailure.target == target, PushFailure.failed_at > now - RETRY_AFTER
            )
        )
        return {remote: tier for remote, tier in rows}


def record_failures(
    session: Session,
    target: str,
    failed: Sequence[tuple[str, int, str]],
    written: Sequence[str],
    now: datetime,
) -> None:
    """Keep the refused (remote id, account, tier) with the time; forget the ones now written."""
    if written:
        for start in range(0, len(written), 1000):
            session.execute(
                delete(PushFailure).where(
                    PushFailure.target == target, PushFailure.remote_id.in_(written[start : start + 1000])
                )
            )
    rows = [
        {"target": target, "remote_id": remote, "account_id": account, "tier": tier, "failed_at": now}
        for remote, account, tier in failed
    ]
    upsert_rows(session, PushFailure, ("target", "remote_id"), rows)
