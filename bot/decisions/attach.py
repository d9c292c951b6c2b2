"""Scenarios attached to decisions as evidence, the use cases (re-exported by `service.py`): where a
scenario can go, attaching it once, reading a record's attachments back. The attachments themselves
(storage, what "open" means) are in `scenarios.py`."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from bot.decisions import delivery
from bot.decisions import scenarios as attachments
from bot.decisions.refusals import REFUSALS, refused
from bot.decisions.results import Attached, Duplicate, RefusalKind, Refused
from bot.decisions.scenarios import AttachedScenario, Attachment, Target, TargetKind
from bot.decisions.snapshot import snapshot_of
from storage.db import Database
from storage.idempotency import AlreadyClaimed, claim_in


def attach_targets(db: Database, admins: Collection[str], user_id: str, now: datetime) -> list[Target]:
    """Where a scenario can be attached: the user's drafts in progress and the open records they may
    change (`bot.decisions.scenarios` says what "open" means)."""
    with db.session() as session:
        return attachments.open_targets(session, admins, user_id, now)


def attach_scenario(
    db: Database,
    admins: Collection[str],
    target: Target,
    user_id: str,
    attachment: Attachment,
    *,
    now: datetime,
    once: str | None = None,
) -> Attached | Duplicate | Refused:
    """Attach a scenario as evidence to a draft or an open record, once per `once` key (a retried
    delivery or a double submit finds it taken); refused when the record is closed or gone."""
    try:
        with db.session() as session:
            if once is not None:
                claim_in(session, once)
            if target.kind is TargetKind.DRAFT:
                state = attachments.attach_to_draft(session, target.id, user_id, attachment, now)
                if state is None:
                    session.rollback()  # the claim too: nothing was attached
                    return Refused(RefusalKind.EXPIRED)
                return Attached(target)
            decision = attachments.attach_to_record(session, admins, int(target.id), user_id, attachment, now)
            session.flush()
            snapshot = snapshot_of(session, decision)
            update = delivery.queue_update(session, snapshot, now)
            return Attached(target, snapshot, (update,) if update is not None else ())
    except AlreadyClaimed:
        return Duplicate(int(target.id) if target.kind is TargetKind.DECISION else None)
    except REFUSALS as exc:
        return refused(exc)


def attached_scenarios(db: Database, decision_id: int) -> tuple[AttachedScenario, ...]:
    with db.session() as session:
        return attachments.attached(session, decision_id)
