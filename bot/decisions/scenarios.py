"""Scenarios attached to a decision as evidence: kept as data (inputs, results, key figures) next to the
draft or the record, and quoted in its evidence text.

The decisions capability treats a scenario as an opaque attachment: it stores the JSON and the
plain-text lines the scenarios capability made (`bot.scenarios.evidence`), and never imports it (the two
are siblings in one layer of `.importlinter`). Adapters bring the two together.

"Open" for attaching means: one of the user's own drafts that is not committed yet, or a record still
open to edits (open or reviewed, `ACTIVE_STATUSES`: what `lifecycle.edit` accepts) that the user may
change (its owner or an admin).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.decisions.drafts import DRAFT_TTL, DraftState, lock_draft, save_input
from bot.decisions.lifecycle import TransitionRefused, describe_state, load
from bot.decisions.record import format_short_id
from bot.decisions.store import add_event, require_change
from storage.models.decisions import ACTIVE_STATUSES, Decision, DecisionDraft, EventKind
from storage.models.scenarios import DecisionScenario

TEXT_MAX = 3000  # what the modal lets anyone type into a field, and so what an edit can show back
TARGETS_MAX = 100  # a static select holds 100 options


class TargetKind(StrEnum):
    DRAFT = "draft"
    DECISION = "decision"


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    id: str  # the draft id, or the record's id as text
    title: str

    @property
    def value(self) -> str:
        return f"{self.kind}:{self.id}"


def parse_target(value: str) -> Target | None:
    kind, _, ident = value.partition(":")
    if kind not in tuple(TargetKind) or not ident or len(ident) > 32:
        return None
    if kind == TargetKind.DECISION and not (ident.isdigit() and 0 < int(ident) < 2**31):
        return None
    return Target(TargetKind(kind), ident, "")


@dataclass(frozen=True)
class Attachment:
    """What is attached: the scenario's data and the texts to add to the decision."""

    run_id: str | None
    kind: str
    command: str
    as_of: datetime
    inputs: dict[str, Any]
    results: dict[str, Any]
    figures: dict[str, Any]
    lines: tuple[str, ...]
    evidence: str  # appended to the evidence
    ranges: str = ""  # appended to "Scenario ranges" (a sweep's flip point)


@dataclass(frozen=True)
class AttachedScenario:
    id: int
    kind: str
    command: str
    as_of: datetime
    attached_by: str
    attached_at: datetime
    inputs: dict[str, Any]
    results: dict[str, Any]
    figures: dict[str, Any]
    lines: tuple[str, ...]


def _appended(text: str, addition: str) -> str:
    if not addition:
        return text
    return f"{text.rstrip()}\n{addition}" if text.strip() else addition


def _fits(field: str, text: str) -> None:
    if len(text) > TEXT_MAX:
        raise TransitionRefused(
            f"With this scenario the {field.replace('_', ' ')} would pass {TEXT_MAX:,} characters, more "
            "than the record's form can hold. Shorten it first, or log a new decision with the scenario.",
            field,
        )


def _row(owner: dict[str, Any], attachment: Attachment, actor: str, now: datetime) -> DecisionScenario:
    return DecisionScenario(
        **owner,
        run_id=attachment.run_id,
        kind=attachment.kind,
        as_of=attachment.as_of,
        attached_by=actor,
        attached_at=now,
        command=attachment.command,
        inputs=attachment.inputs,
        results=attachment.results,
        figures=attachment.figures,
        summary={"lines": list(attachment.lines)},
    )


def attach_to_draft(
    session: Session, draft_id: str, actor: str, attachment: Attachment, now: datetime
) -> DraftState | None:
    """Quote the scenario in the draft's evidence (and ranges) and keep its data with the draft. None:
    the draft is gone, someone else's, or already committed."""
    locked = lock_draft(session, draft_id, actor, now)
    if locked is None or locked[1].committed_id is not None:
        return None
    row, state = locked
    data = state.input
    changes = {
        "evidence": _appended(data.evidence, attachment.evidence),
        "scenario_ranges": _appended(data.scenario_ranges, attachment.ranges),
    }
    for field, text in changes.items():
        _fits(field, text)
    data = data.merged(changes)
    save_input(row, data, now)
    session.add(_row({"draft_id": draft_id}, attachment, actor, now))
    return state.model_copy(update={"input": data})


def attach_to_record(
    session: Session,
    admins: Collection[str],
    decision_id: int,
    actor: str,
    attachment: Attachment,
    now: datetime,
) -> Decision:
    """Attach to a record open to edits; the change is in its history like any edit."""
    decision = load(session, decision_id)
    require_change(admins, decision, actor)
    if decision.status not in ACTIVE_STATUSES:
        raise TransitionRefused(
            f"{format_short_id(decision.id)} is {describe_state(decision)}; a scenario is attached only to "
            "an open decision. Log a new decision with it instead."
        )
    changed: dict[str, Any] = {}
    for field, addition in (("evidence", attachment.evidence), ("scenario_ranges", attachment.ranges)):
        before = getattr(decision, field) or ""
        after = _appended(before, addition)
        _fits(field, after)
        if after != before:
            setattr(decision, field, after)
            changed[field] = {"from": before, "to": after}
    session.add(_row({"decision_id": decision.id}, attachment, actor, now))
    add_event(session, decision, EventKind.EDITED, actor, now, changed=changed, scenario=attachment.command)
    return decision


def hand_over(session: Session, draft_id: str, decision_id: int) -> None:
    """A committed draft's scenarios now belong to its record (so they travel with it)."""
    session.execute(
        update(DecisionScenario)
        .where(DecisionScenario.draft_id == draft_id)
        .values(draft_id=None, decision_id=decision_id)
    )


def attached(session: Session, decision_id: int) -> tuple[AttachedScenario, ...]:
    rows = session.scalars(
        select(DecisionScenario)
        .where(DecisionScenario.decision_id == decision_id)
        .order_by(DecisionScenario.id)
    )
    return tuple(
        AttachedScenario(
            id=r.id,
            kind=r.kind,
            command=r.command,
            as_of=r.as_of,
            attached_by=r.attached_by,
            attached_at=r.attached_at,
            inputs=dict(r.inputs or {}),
            results=dict(r.results or {}),
            figures=dict(r.figures or {}),
            lines=tuple(str(x) for x in (r.summary or {}).get("lines") or ()),
        )
        for r in rows
    )


def open_targets(session: Session, admins: Collection[str], user_id: str, now: datetime) -> list[Target]:
    """The user's drafts in progress (newest first), then the open records they may change (soonest
    review first), up to TARGETS_MAX."""
    drafts = session.execute(
        select(DecisionDraft.id, DecisionDraft.data)
        .where(DecisionDraft.user_id == user_id, DecisionDraft.updated_at >= now - DRAFT_TTL)
        .order_by(DecisionDraft.updated_at.desc())
        .limit(TARGETS_MAX)
    ).all()
    targets: list[Target] = []
    for draft_id, data in drafts:
        data = data or {}
        if data.get("committed_id") is not None:
            continue
        title = str((data.get("input") or {}).get("title") or "").strip() or "untitled"
        targets.append(Target(TargetKind.DRAFT, draft_id, title))
    query = select(Decision.id, Decision.title).where(Decision.status.in_([str(s) for s in ACTIVE_STATUSES]))
    if user_id not in admins:
        query = query.where(Decision.owner == user_id)
    rows = session.execute(query.order_by(Decision.review_date, Decision.id).limit(TARGETS_MAX)).all()
    targets += [Target(TargetKind.DECISION, str(i), str(t)) for i, t in rows]
    return targets[:TARGETS_MAX]
