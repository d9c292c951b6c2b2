"""Posting decision records through the delivery ledger, so a committed record is posted exactly once,
where it belongs, whatever Slack does (429, 5xx, a timeout) and whichever process dies.

Rows of the ledger's job `decision-post`, each queued in the same transaction as the change it reports
(so it cannot be lost), attempted at once by whoever queued it and retried by the `decision-posts` job:

- the record:  (decision-post, <channel>, "<id>")             a new record, posted once
- an update:   (decision-post, <channel>, "<id>:v<events>")   `chat.update` of the posted message
- a notice:    (decision-post, dm:<author>, "<id>:<kind>:<time>")  the author told it was posted late,
               or why it could not be posted and how to post it again

A row holds a spec (which record, where, for whom), not a rendered message: it is rendered when it is
sent, so a record changed while its post waited is posted as it now is. Only plain values here; the
adapters render (`bot.views.decision_record`) and send (`bot.schedule.poster`). The queueing functions
work in the caller's transaction; the last three (`delivery_item`, `delivered`, `repost`) are the
delivery use cases, each its own transaction, that `service.py` re-exports for the adapters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.decisions.snapshot import RecordSnapshot, load_snapshot
from bot.schedule import ledger
from bot.schedule.ledger import DeliveryKey
from storage.db import Database
from storage.models.decisions import Decision
from storage.models.schedule import GIVEN_UP, SENT, Delivery

JOB = "decision-post"
# The process that queued a row attempts it at once; the retry pass leaves it alone this long first
# (longer than one attempt with the request client's 3 s timeout), so the two do not race for it.
FIRST_ATTEMPT = timedelta(seconds=10)
_USER = re.compile(r"^[UW][A-Z0-9]+$")  # a user id (channels start with C, G or D)

Spec = dict[str, Any]


class Kind(StrEnum):
    POST = "post"
    UPDATE = "update"
    LATE = "late"  # notice: posted after a failed first attempt
    FAILED = "failed"  # notice: given up


@dataclass(frozen=True)
class Item:
    """What one ledger row is to send, read at send time."""

    kind: Kind
    record: RecordSnapshot
    channel: str | None  # None: the DM of `user`
    user: str | None
    ts: str | None = None  # an update: the message to edit
    where: str | None = None  # a notice: where the record was (or was to be) posted
    error: str = ""  # a FAILED notice: why


def target_of(where: str) -> tuple[str, Spec]:
    """(ledger target, channel or user) for a channel id or a user id (posted in their DM)."""
    if _USER.match(where):
        return f"dm:{where}", {"channel": None, "user": where}
    return where, {"channel": where, "user": None}


def version_of(record: RecordSnapshot) -> int:
    """A record's version: history only grows, one event per change."""
    return len(record.events)


def queue_post(
    session: Session, record: RecordSnapshot, where: str, author: str, source: str | None, now: datetime
) -> DeliveryKey:
    target, to = target_of(where)
    key = DeliveryKey(JOB, target, str(record.id))
    spec = {"kind": Kind.POST, "decision": record.id, "author": author, "source": source, **to}
    ledger.queue_in(session, key, spec, now, not_before=now + FIRST_ATTEMPT)
    return key


def queue_update(session: Session, record: RecordSnapshot, now: datetime) -> DeliveryKey | None:
    """An update of the posted message; None when it is not posted yet (its post will show the record as
    it is when it is sent) or this version already has one."""
    channel, ts = record.message_channel, record.message_ts
    if not channel or not ts:
        channel, ts = _posted_by_ledger(session, record.id)
    if not channel or not ts:
        return None
    key = DeliveryKey(JOB, channel, f"{record.id}:v{version_of(record)}")
    spec = {"kind": Kind.UPDATE, "decision": record.id, "channel": channel, "user": None, "ts": ts}
    queued = ledger.queue_in(session, key, spec, now, not_before=now + FIRST_ATTEMPT)
    return key if queued else None


def queue_committed(
    session: Session,
    record: RecordSnapshot,
    post_to: tuple[str, ...],
    refresh: tuple[RecordSnapshot, ...],
    author: str,
    source: str | None,
    now: datetime,
) -> tuple[DeliveryKey, ...]:
    """The rows a commit queues: its record's post, and the updates of the records it changed."""
    keys = []
    if post_to:
        # One place, chosen once (the decisions channel, else where the flow started, else the author's
        # DM): a post that fails there is retried there, never silently moved elsewhere.
        keys.append(queue_post(session, record, post_to[0], author, source, now))
    for changed in refresh:
        key = queue_update(session, changed, now)
        keys += [key] if key is not None else []
    return tuple(keys)


def _posted_by_ledger(session: Session, decision_id: int) -> tuple[str | None, str | None]:
    """Where the ledger says the record was posted, kept on the record too: a process that stopped
    between marking the post sent and storing its ts (`after_attempt`) must not cost later updates."""
    found = session.execute(
        select(Delivery.channel, Delivery.message_ts).where(
            Delivery.job == JOB, Delivery.period == str(decision_id), Delivery.status == SENT
        )
    ).first()
    if found is None or not found[0] or not found[1]:
        return None, None
    decision = session.get(Decision, decision_id)
    if decision is not None:
        decision.message_channel, decision.message_ts = found[0], found[1]
    return found[0], found[1]


def _queue_notice(
    session: Session, decision_id: int, kind: Kind, author: str, where: str, error: str, now: datetime
) -> DeliveryKey | None:
    if not _USER.match(author):
        return None
    key = DeliveryKey(JOB, f"dm:{author}", f"{decision_id}:{kind}:{now:%Y%m%dT%H%M%S}")
    spec = {"kind": kind, "decision": decision_id, "user": author, "channel": None}
    spec |= {"where": where, "error": error[:500]}
    ledger.queue_in(session, key, spec, now, not_before=now + FIRST_ATTEMPT)
    return key


def item_of(session: Session, spec: Spec) -> Item | None:
    decision_id = spec.get("decision")
    record = load_snapshot(session, decision_id) if isinstance(decision_id, int) else None
    if record is None:
        return None
    return Item(
        kind=Kind(spec.get("kind", Kind.POST)),
        record=record,
        channel=spec.get("channel"),
        user=spec.get("user"),
        ts=spec.get("ts"),
        where=spec.get("where"),
        error=str(spec.get("error") or ""),
    )


@dataclass(frozen=True)
class Delivered:
    """What became of one attempt, for the adapter to tell the author about."""

    kind: Kind
    decision_id: int
    status: str  # sent | pending | given_up | ...
    channel: str | None
    error: str | None
    author: str | None
    source: str | None
    follow_up: tuple[DeliveryKey, ...]  # rows queued because of it: attempt them too


def after_attempt(
    session: Session,
    spec: Spec,
    status: str,
    channel: str | None,
    ts: str | None,
    error: str | None,
    attempt: int,
    shown_version: int | None,
    now: datetime,
) -> Delivered:
    """Bookkeeping after an attempt at a row of `spec`: a posted record keeps where it was posted (so
    its later changes update that message), and an update is queued if it changed while being posted;
    the author gets a DM when a post that first failed went through later, or was given up."""
    kind = Kind(spec.get("kind", Kind.POST))
    decision_id = int(spec.get("decision") or 0)
    author, source = spec.get("author"), spec.get("source")
    follow_up: list[DeliveryKey] = []
    decision = session.get(Decision, decision_id)
    if kind is Kind.POST and decision is not None:
        where = str(spec.get("channel") or spec.get("user") or "")
        if status == SENT and channel and ts:
            decision.message_channel, decision.message_ts = channel, ts
            session.flush()
            record = load_snapshot(session, decision_id)
            if record is not None and shown_version is not None and version_of(record) != shown_version:
                update = queue_update(session, record, now)
                follow_up += [update] if update else []
            if attempt > 1 and author:
                late = _queue_notice(session, decision_id, Kind.LATE, author, where, "", now)
                follow_up += [late] if late else []
        elif status == GIVEN_UP and author:
            failed = _queue_notice(session, decision_id, Kind.FAILED, author, where, error or "", now)
            follow_up += [failed] if failed else []
    return Delivered(kind, decision_id, status, channel, error, author, source, tuple(follow_up))


@dataclass(frozen=True)
class Requeued:
    decision_id: int
    previous: str | None  # the post's ledger status before (None: it had none)
    channel: str | None  # where it is (or was) posted
    ts: str | None


def requeue(
    session: Session, decision_id: int, decisions_channel: str | None, now: datetime
) -> Requeued | None:
    """`tierbot decisions repost D-42`: a record whose post was given up (or that has none) is queued
    again with fresh attempts, for the `decision-posts` job; None when there is no such record."""
    record = load_snapshot(session, decision_id)
    if record is None:
        return None
    if record.message_ts:
        return Requeued(decision_id, SENT, record.message_channel, record.message_ts)
    where = decisions_channel or record.source_channel or record.created_by
    target, to = target_of(where)
    key = DeliveryKey(JOB, target, str(decision_id))
    spec = {"kind": Kind.POST, "decision": decision_id, "author": record.created_by}
    spec |= {"source": record.source_channel, **to}
    previous = ledger.requeue_in(session, key, spec, now)
    return Requeued(decision_id, previous, where, None)


# -- the use cases (re-exported by `service.py`): one transaction each ----------------------------------
def delivery_item(db: Database, spec: Spec) -> Item | None:
    """What a queued row is to send, read now (None: its record is gone)."""
    with db.session() as session:
        return item_of(session, spec)


def delivered(
    db: Database,
    spec: Spec,
    *,
    status: str,
    channel: str | None,
    ts: str | None,
    error: str | None,
    attempt: int,
    shown_version: int | None,
    now: datetime,
) -> Delivered:
    """Record what became of an attempt (where the record now is; notices to its author), in one
    transaction; see `after_attempt`."""
    with db.session() as session:
        return after_attempt(session, spec, status, channel, ts, error, attempt, shown_version, now)


def repost(db: Database, decision_id: int, decisions_channel: str | None, now: datetime) -> Requeued | None:
    """Queue a record's post again after it was given up (`tierbot decisions repost D-42`)."""
    with db.session() as session:
        return requeue(session, decision_id, decisions_channel, now)
