"""What can be done to a posted decision record, over signed HTTP: Reverse, Mark reviewed, Start review,
Supersede and Edit, each only by the owner or an admin, each kept in the history."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.views import decision_ids as ids
from storage.db import Database
from storage.models.decisions import Decision, DecisionEvent
from tests.decisions.flow import (
    COMPARE_ANSWERS,
    FRAME_ANSWERS,
    blob,
    commit_answers,
    count,
    days,
    posted,
    record_flow,
    select_action,
    sent_view,
    submit,
    updated,
    wait_for,
)
from tests.fake_slack import FakeSlack
from tests.slack_http import SlackHTTP


def test_non_owner_cannot_reverse_and_owner_can(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database
) -> None:
    decision_id = record_flow(slack, fake_slack, user="U1")
    opened = len(fake_slack.calls_to("views.open"))
    assert (
        slack.block_action(ids.REVERSE, str(decision_id), user_id="U2", channel_id="CDECISIONS").status_code
        == 200
    )
    refusal = fake_slack.responses[-1]
    assert refusal["response_type"] == "ephemeral" and refusal["replace_original"] is False
    assert "Only the owner (<@U1>) or a tierbot admin can change D-1. Nothing was changed." in blob(refusal)
    assert len(fake_slack.calls_to("views.open")) == opened  # no reverse form for them

    assert (
        slack.block_action(
            ids.REVERSE, str(decision_id), user_id="UADMIN", channel_id="CDECISIONS"
        ).status_code
        == 200
    )
    form = sent_view(fake_slack, "views.open")
    assert form["callback_id"] == ids.REVERSE_MODAL
    # Someone else submitting the form (forged) is refused at the field, nothing changes.
    body = submit(slack, form, {ids.REASON: "mine"}, user="U2", view_id="VR0")
    assert body["response_action"] == "errors" and "Only the owner" in body["errors"][ids.REASON]
    assert submit(slack, form, {ids.REASON: "Cost per account up 22%"}, user="UADMIN", view_id="VR1") == {
        "response_action": "clear"
    }
    assert wait_for(fake_slack, "chat.update")[-1].params["channel"] == "CDECISIONS"
    assert "*Status*\\nreversed" in updated(fake_slack)
    assert len(fake_slack.calls_to("chat.update")) == 1  # the refused submission changed nothing
    with db.session() as session:
        decision = session.get(Decision, decision_id)
        assert decision is not None and decision.status == "reversed"
        events = [
            (e.kind, e.actor) for e in session.scalars(select(DecisionEvent).order_by(DecisionEvent.id))
        ]
        assert events == [("created", "U1"), ("reversed", "UADMIN")]
    # Reversing again is explained, not done.
    slack.block_action(ids.REVERSE, str(decision_id), user_id="U1", channel_id="CDECISIONS")
    assert "D-1 is already reversed" in blob(fake_slack.responses[-1])


def test_mark_reviewed_and_start_review(slack: SlackHTTP, fake_slack: FakeSlack, db: Database) -> None:
    decision_id = record_flow(slack, fake_slack, user="U1")
    assert select_action(slack, ids.MARK_REVIEWED, f"{decision_id}:continue", user="U9").status_code == 200
    assert "Only the owner" in blob(fake_slack.responses[-1])
    assert select_action(slack, ids.MARK_REVIEWED, f"{decision_id}:continue", user="U1").status_code == 200
    assert "reviewed · continue" in updated(fake_slack)

    assert (
        slack.block_action(
            ids.START_REVIEW, str(decision_id), user_id="U1", channel_id="CDECISIONS"
        ).status_code
        == 200
    )
    form = sent_view(fake_slack, "views.open")
    assert form["callback_id"] == ids.REVIEW_MODAL
    bad = submit(slack, form, {ids.OUTCOME: "adapt", ids.NEXT_REVIEW: days(-3)}, view_id="VX1")
    assert bad == {
        "response_action": "errors",
        "errors": {ids.NEXT_REVIEW: "The next review must be after today."},
    }
    good = submit(
        slack,
        form,
        {ids.OUTCOME: "adapt", ids.NOTE: "Narrow to EMEA", ids.NEXT_REVIEW: days(45)},
        view_id="VX1",
    )
    assert good == {"response_action": "clear"}
    assert submit(slack, form, {ids.OUTCOME: "adapt", ids.NEXT_REVIEW: days(45)}, view_id="VX1") == {
        "response_action": "clear"
    }
    wait_for(fake_slack, "chat.update", 2)
    with db.session() as session:
        decision = session.get(Decision, decision_id)
        assert decision is not None
        assert (decision.status, decision.last_outcome, decision.review_date.isoformat()) == (
            "reviewed",
            "adapt",
            days(45),
        )
        details = [
            e.detail
            for e in session.scalars(
                select(DecisionEvent).where(DecisionEvent.kind == "reviewed").order_by(DecisionEvent.id)
            )
        ]
        assert [d["outcome"] for d in details] == ["continue", "adapt"]  # the double submit added nothing
        assert details[1]["note"] == "Narrow to EMEA"


def test_supersede_opens_a_prefilled_linked_decision(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database
) -> None:
    old_id = record_flow(slack, fake_slack, user="U1")
    slack.block_action(ids.SUPERSEDE, str(old_id), user_id="U3", channel_id="CDECISIONS")
    assert "Only the owner" in blob(fake_slack.responses[-1])
    assert (
        slack.block_action(ids.SUPERSEDE, str(old_id), user_id="U1", channel_id="CDECISIONS").status_code
        == 200
    )
    frame = sent_view(fake_slack, "views.open")
    assert frame["title"]["text"] == "Supersede D-1 · 1/3"
    title = next(b for b in frame["blocks"] if b.get("block_id") == ids.TITLE)
    assert title["element"]["initial_value"] == FRAME_ANSWERS[ids.TITLE]
    compare = submit(slack, frame, {ids.TITLE: "Extend the pilot to EMEA"})["view"]
    evidence = next(b for b in compare["blocks"] if b.get("block_id") == ids.EVIDENCE)
    assert evidence["element"]["initial_value"] == COMPARE_ANSWERS[ids.EVIDENCE]
    commit = submit(slack, compare)["view"]
    assert submit(slack, commit, commit_answers()) == {"response_action": "clear"}
    new_message = posted(fake_slack, count=2)
    assert "Supersedes *D-1*" in blob(new_message)
    assert "superseded by D-2" in updated(fake_slack)
    with db.session() as session:
        old, new = session.get(Decision, old_id), session.get(Decision, 2)
        assert old is not None and new is not None
        assert (old.status, old.superseded_by_id, new.supersedes_id, new.title) == (
            "superseded",
            2,
            1,
            "Extend the pilot to EMEA",
        )


def test_edit_from_the_view_modal(slack: SlackHTTP, fake_slack: FakeSlack, db: Database) -> None:
    decision_id = record_flow(slack, fake_slack, user="U1")
    slack.block_action(ids.VIEW, str(decision_id), user_id="U5")
    assert ids.EDIT not in json.dumps(sent_view(fake_slack, "views.open"))  # not theirs to edit
    slack.block_action(ids.VIEW, str(decision_id), user_id="U1")
    record_view = sent_view(fake_slack, "views.open")
    assert (
        slack.block_action(
            ids.EDIT, str(decision_id), user_id="U1", view={**record_view, "id": "VV"}
        ).status_code
        == 200
    )
    frame = sent_view(fake_slack, "views.push")
    assert frame["title"]["text"] == "Edit D-1 · 1/3"
    compare = submit(slack, frame)["view"]
    commit = submit(slack, compare, {ids.RISKS: "Night-shift burnout; rotate weekly"})["view"]
    assert submit(slack, commit) == {"response_action": "clear"}
    wait_for(fake_slack, "chat.update")
    with db.session() as session:
        decision = session.get(Decision, decision_id)
        assert decision is not None and decision.risks == "Night-shift burnout; rotate weekly"
        edited = session.scalars(select(DecisionEvent).where(DecisionEvent.kind == "edited")).one()
        assert (
            edited.actor == "U1"
            and edited.detail["changed"]["risks"]["to"] == "Night-shift burnout; rotate weekly"
        )
    assert count(db) == 1


def test_a_double_clicked_mark_reviewed_records_one_review(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database
) -> None:
    """Two deliveries of one click-pair carry different action_ts but the same message: one review."""
    decision_id = record_flow(slack, fake_slack, user="U1")
    for _ in range(2):
        assert (
            select_action(slack, ids.MARK_REVIEWED, f"{decision_id}:continue", user="U1").status_code == 200
        )
    # The next cycle's reminder is another message: its review counts.
    assert (
        select_action(
            slack, ids.MARK_REVIEWED, f"{decision_id}:continue", user="U1", message_ts="1700000999.000001"
        ).status_code
        == 200
    )
    with db.session() as session:
        reviews = session.scalars(
            select(DecisionEvent).where(
                DecisionEvent.decision_id == decision_id, DecisionEvent.kind == "reviewed"
            )
        ).all()
    assert len(reviews) == 2
