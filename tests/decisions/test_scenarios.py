"""Scenarios attached to decisions, at the service: full evidence refused, drafts' attachments swept with
them, committed ones handed to the record."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.decisions import service
from bot.decisions.drafts import DraftState, new_draft
from bot.decisions.results import Attached, RefusalKind, Refused
from bot.decisions.scenarios import TEXT_MAX, Attachment, Target, TargetKind, parse_target
from bot.decisions.store import create_decision
from storage.db import Database
from storage.models.scenarios import DecisionScenario
from tests.decisions.factory import NOW, TODAY, valid_input


def _attachment(evidence: str = "Scenario `premium=15000 days=7`: D 1.88 -> 3.40.") -> Attachment:
    return Attachment(
        run_id="r1",
        kind="scenario",
        command="premium=15000 days=7",
        as_of=NOW,
        inputs={"thresholds": {"premium": 15000}, "days": 7},
        results={"kind": "scenario"},
        figures={"movers": 1},
        lines=("Scenario `premium=15000 days=7`", "Accounts changing tier: 1"),
        evidence=evidence,
    )


def _count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(DecisionScenario)) or 0


def test_evidence_past_what_the_form_holds_is_refused(db: Database) -> None:
    with db.session() as session:
        decision_id = create_decision(
            session, valid_input(owner="U1", evidence="x" * (TEXT_MAX - 10)), actor="U1", now=NOW, today=TODAY
        ).id
    target = Target(TargetKind.DECISION, str(decision_id), "")
    result = service.attach_scenario(db, (), target, "U1", _attachment(), now=NOW, once="k1")
    assert (
        isinstance(result, Refused) and result.kind is RefusalKind.TRANSITION and result.field == "evidence"
    )
    assert _count(db) == 0
    # The claim rolled back with the refusal: a quote that fits attaches under the same key.
    attached = service.attach_scenario(db, (), target, "U1", _attachment("short"), now=NOW, once="k1")
    assert isinstance(attached, Attached) and attached.record is not None
    assert attached.record.data.evidence == "x" * (TEXT_MAX - 10) + "\nshort" and _count(db) == 1


def test_a_swept_draft_takes_its_scenarios_and_a_committed_one_hands_them_over(db: Database) -> None:
    with db.session() as session:
        abandoned = new_draft(session, "U1", DraftState(), NOW)
    draft = Target(TargetKind.DRAFT, abandoned, "")
    assert isinstance(service.attach_scenario(db, (), draft, "U1", _attachment(), now=NOW), Attached)
    # Someone else's draft is not theirs to attach to.
    assert service.attach_scenario(db, (), draft, "U2", _attachment(), now=NOW) == Refused(
        RefusalKind.EXPIRED
    )
    assert _count(db) == 1
    with db.session() as session:
        later = new_draft(session, "U1", DraftState(), NOW + timedelta(days=8))  # sweeps drafts a week stale
    assert _count(db) == 0

    opened = service.start_new(db, "U1", NOW)
    target = Target(TargetKind.DRAFT, opened.draft_id, "")
    assert isinstance(service.attach_scenario(db, (), target, "U1", _attachment(), now=NOW), Attached)
    data = valid_input(owner="U1", evidence="")
    committed = service.commit(
        db,
        opened.draft_id,
        "U1",
        lambda typed: data.merged({"evidence": typed.evidence}),
        admins=(),
        decisions_channel=None,
        now=NOW,
        today=TODAY,
    )
    assert not isinstance(committed, Refused), committed
    assert committed.record.data.evidence == "Scenario `premium=15000 days=7`: D 1.88 -> 3.40."  # type: ignore[union-attr]
    (kept,) = committed.record.scenarios  # type: ignore[union-attr]
    assert (kept.command, kept.figures, kept.lines[-1]) == (
        "premium=15000 days=7",
        {"movers": 1},
        "Accounts changing tier: 1",
    )
    # Where U1 can attach next: the draft in progress (not the committed one), then the open record.
    assert service.attach_targets(db, (), "U1", NOW) == [
        Target(TargetKind.DRAFT, later, "untitled"),
        Target(TargetKind.DECISION, str(committed.record.id), data.title),  # type: ignore[union-attr]
    ]
    assert service.attach_targets(db, (), "U2", NOW) == []
    assert len(service.attach_targets(db, ("U2",), "U2", NOW)) == 1  # an admin may change any record


def test_targets_parse_strictly() -> None:
    assert parse_target("decision:12") == Target(TargetKind.DECISION, "12", "")
    assert parse_target("draft:abc") == Target(TargetKind.DRAFT, "abc", "")
    for bad in (
        "",
        "decision:",
        "decision:x",
        "decision:-1",
        "decision:99999999999",
        "other:1",
        "draft:" + "a" * 40,
    ):
        assert parse_target(bad) is None
