"""/decision over signed HTTP: the three-step modal, its refusals, Back, a restart between steps, double
submits, long texts, the posted record, lists, show, the account picker and /tier showing decisions.
(What can be done to a posted record is in test_decision_actions.py.)"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import select

from bot.services import Services
from bot.views import decision_ids as ids
from storage.db import Database
from storage.models.decisions import Decision, DecisionEvent, ReviewTrigger
from tests.conftest import add_account
from tests.decisions.flow import (
    COMPARE_ANSWERS,
    FRAME_ANSWERS,
    blob,
    commit_answers,
    count,
    days,
    open_modal,
    posted,
    record_flow,
    second_server,
    sent_view,
    state_of,
    submit,
    to_commit,
    to_compare,
    wait_for,
)
from tests.fake_slack import FakeSlack, validate_message, validate_view
from tests.slack_http import SlackHTTP


@pytest.fixture
def acme(db: Database, services: Services) -> int:
    return add_account(db, services.policy, "Acme Corp", 32000, external_id="ACME-001", domain="acme.example")


def test_the_whole_flow_stores_and_posts_the_record(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, acme: int
) -> None:
    frame = open_modal(slack, fake_slack, user="U1")
    owner = next(b for b in frame["blocks"] if b.get("block_id") == ids.OWNER)
    assert owner["element"]["initial_user"] == "U1"  # the person asking, by default
    assert len(frame["title"]["text"]) <= 24
    compare = submit(slack, frame, {**FRAME_ANSWERS, ids.TIERS: ["professional"], ids.ACCOUNTS: [str(acme)]})[
        "view"
    ]
    defaults = [
        b["element"].get("initial_value")
        for b in compare["blocks"]
        if b.get("block_id", "").endswith("_title") and "option" in b["block_id"]
    ]
    assert defaults == [
        "Keep the current approach",
        "Pilot in stages, scale after thresholds are met",
        "Redesign end to end",
    ]
    commit = submit(slack, compare, COMPARE_ANSWERS)["view"]
    scope = next(b for b in commit["blocks"] if b.get("block_id") == ids.TRIGGER.format(n=1, part="scope"))
    assert f"account:{acme}" in [o["value"] for o in scope["element"]["options"]]
    assert submit(slack, commit, commit_answers()) == {"response_action": "clear"}

    message = posted(fake_slack)
    assert message["channel"] == "CDECISIONS"
    assert (
        message["blocks"][0]["text"]["text"] == "D-1 · Should Professional accounts get 24x7 sev1 coverage?"
    )
    text = blob(message)
    assert "<@U1>" in text and "B: Pilot in stages" in text and "Acme Corp" in text
    assert "Enterprise resolution time &gt; 8 h (30-day window)" in text  # mrkdwn-escaped ">"
    assert "Full record: `/decision show D-1`" in text and "shortened" not in text
    action_ids = [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert action_ids == [ids.VIEW, ids.START_REVIEW, ids.MARK_REVIEWED, ids.REVERSE, ids.SUPERSEDE]

    with db.session() as session:
        decision = session.scalars(select(Decision)).one()
        assert (decision.owner, decision.created_by, decision.source_channel) == ("U1", "U1", "C1")
        assert decision.chosen_option == "B" and decision.review_date.isoformat() == days(30)
        assert decision.source_channel == "C1"
        assert decision.success_metrics[0] == {"metric": "resolution_time", "baseline": "11h", "target": "6h"}
        trigger = session.scalars(select(ReviewTrigger)).one()
        assert (
            trigger.metric,
            trigger.scope_tier,
            trigger.comparison,
            trigger.threshold,
            trigger.window_days,
        ) == ("resolution_time", "enterprise", ">", 8.0, 30)
        assert [e.kind for e in session.scalars(select(DecisionEvent))] == ["created"]
    # Where it was posted is kept, so later changes update that message.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with db.session() as session:
            decision = session.scalars(select(Decision)).one()
        if decision.message_ts:
            break
        time.sleep(0.02)
    assert decision.message_channel == "CDECISIONS" and decision.message_ts.startswith("1700000000.")


def test_without_a_decisions_channel_it_posts_where_it_started(
    slack: SlackHTTP, fake_slack: FakeSlack, services: Services
) -> None:
    services.settings.decisions_channel = None
    record_flow(slack, fake_slack)
    assert posted(fake_slack)["channel"] == "C1"


def test_no_owner_is_refused_at_its_field(slack: SlackHTTP, fake_slack: FakeSlack, db: Database) -> None:
    frame = open_modal(slack, fake_slack)
    body = submit(slack, frame, {**FRAME_ANSWERS, ids.OWNER: None})
    assert body["response_action"] == "errors"
    assert list(body["errors"]) == [ids.OWNER]
    assert count(db) == 0


@pytest.mark.parametrize(
    ("answers", "block", "text"),
    [
        (
            {ids.EVIDENCE: "", ids.ASSUMPTIONS: "Customers will like it"},
            ids.EVIDENCE,
            "Assumptions alone are not evidence",
        ),
        ({ids.EVIDENCE: "n/a", ids.ASSUMPTIONS: ""}, ids.EVIDENCE, "Add the evidence"),
        (
            {ids.OPTION_TITLE.format(key="B"): "keep the current approach"},
            ids.OPTION_TITLE.format(key="B"),
            "same as option A",
        ),
        (
            {ids.OPTION_TITLE.format(key="B"): "", ids.OPTION_TITLE.format(key="C"): ""},
            ids.OPTION_TITLE.format(key="B"),
            "at least two real options",
        ),
    ],
)
def test_compare_refusals(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, answers: dict[str, Any], block: str, text: str
) -> None:
    compare = to_compare(slack, fake_slack)
    body = submit(slack, compare, {**COMPARE_ANSWERS, **answers})
    assert body["response_action"] == "errors"
    assert text in body["errors"][block]
    assert count(db) == 0


@pytest.mark.parametrize(
    ("answers", "block", "text"),
    [
        ({ids.REVIEW_DATE: days(-1)}, ids.REVIEW_DATE, "in the past"),
        ({ids.REVIEW_DATE: days(400)}, ids.REVIEW_DATE, "beyond the horizon"),
        ({ids.REVERSAL_SIGNAL: "  "}, ids.REVERSAL_SIGNAL, "reverse this decision"),
        ({ids.CHOSEN: "Z"}, ids.CHOSEN, "Choose one of the options compared in step 2 (A, B, C)"),
        (
            {ids.TRIGGER.format(n=2, part="metric"): "health_score"},
            ids.TRIGGER.format(n=2, part="scope"),
            "Complete this trigger",
        ),
    ],
)
def test_commit_refusals_store_nothing(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, answers: dict[str, Any], block: str, text: str
) -> None:
    commit = to_commit(slack, fake_slack)
    body = submit(slack, commit, commit_answers(**answers))
    assert body["response_action"] == "errors"
    assert text in body["errors"][block]
    assert count(db) == 0
    assert fake_slack.calls_to("chat.postMessage") == []
    # Fixing the field and submitting the same view again records it.
    assert submit(slack, commit, commit_answers()) == {"response_action": "clear"}
    assert count(db) == 1


def test_a_chosen_option_that_was_emptied_is_refused(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database
) -> None:
    commit = to_commit(slack, fake_slack, **{ids.OPTION_TITLE.format(key="C"): ""})
    chosen = next(b for b in commit["blocks"] if b.get("block_id") == ids.CHOSEN)
    assert [o["value"] for o in chosen["element"]["options"]] == ["A", "B"]
    body = submit(slack, commit, commit_answers(**{ids.CHOSEN: "C"}))
    assert body["errors"] == {ids.CHOSEN: "Choose one of the options compared in step 2 (A, B)."}
    assert count(db) == 0


def test_double_submit_creates_one_record(slack: SlackHTTP, fake_slack: FakeSlack, db: Database) -> None:
    commit = to_commit(slack, fake_slack)
    results: list[dict[str, Any]] = []

    def click() -> None:
        results.append(submit(slack, commit, commit_answers()))

    threads = [threading.Thread(target=click) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [{"response_action": "clear"}] * 3
    assert submit(slack, commit, commit_answers()) == {"response_action": "clear"}  # a late retry
    wait_for(fake_slack, "chat.postMessage")
    time.sleep(0.3)  # let any extra lazy post arrive, if there were one
    assert count(db) == 1
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_back_keeps_what_was_typed(slack: SlackHTTP, fake_slack: FakeSlack) -> None:
    compare = to_compare(slack, fake_slack)
    typed = {**compare, "id": "V1", "hash": "h1"}
    typed["state"] = state_of(compare, {ids.EVIDENCE: "Typed before going back", ids.RISKS: "Burnout"})
    assert slack.block_action(ids.BACK, ids.FRAME, view=typed).status_code == 200
    update = wait_for(fake_slack, "views.update")[-1].params
    assert (update["view_id"], update["hash"]) == ("V1", "h1")
    frame = sent_view(fake_slack, "views.update")
    assert frame["callback_id"] == ids.FRAME
    title = next(b for b in frame["blocks"] if b.get("block_id") == ids.TITLE)
    assert title["element"]["initial_value"] == FRAME_ANSWERS[ids.TITLE]
    compare_again = submit(slack, frame)["view"]  # nothing retyped
    evidence = next(b for b in compare_again["blocks"] if b.get("block_id") == ids.EVIDENCE)
    risks = next(b for b in compare_again["blocks"] if b.get("block_id") == ids.RISKS)
    assert evidence["element"]["initial_value"] == "Typed before going back"
    assert risks["element"]["initial_value"] == "Burnout"
    # And from Commit back to Compare.
    commit = submit(slack, compare_again)["view"]
    assert (
        slack.block_action(ids.BACK, ids.COMPARE, view={**commit, "id": "V1", "hash": "h2"}).status_code
        == 200
    )
    assert sent_view(fake_slack, "views.update")["callback_id"] == ids.COMPARE


def test_a_restart_between_steps_loses_nothing(
    slack: SlackHTTP, fake_slack: FakeSlack, services: Services, db: Database
) -> None:
    compare = to_compare(slack, fake_slack)
    with second_server(services) as url:
        restarted = SlackHTTP(base_url=url, response_url=slack.response_url)
        commit = submit(restarted, compare, COMPARE_ANSWERS)["view"]
        assert submit(restarted, commit, commit_answers()) == {"response_action": "clear"}
        message = posted(fake_slack)
    assert "Should Professional accounts get 24x7 sev1 coverage?" in blob(message)
    with db.session() as session:
        decision = session.scalars(select(Decision)).one()
        assert (
            decision.title == FRAME_ANSWERS[ids.TITLE] and decision.evidence == COMPARE_ANSWERS[ids.EVIDENCE]
        )


def test_long_text_is_stored_whole_and_shown_cut(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, services: Services
) -> None:
    def long(tag: str) -> str:
        return (tag + " <&> ") * (3000 // (len(tag) + 5)) + "x" * (3000 % (len(tag) + 5))

    frame = open_modal(slack, fake_slack)
    text_blocks = [
        b["block_id"]
        for b in frame["blocks"]
        if b["type"] == "input" and b["element"]["type"] == "plain_text_input"
    ]
    compare = submit(slack, frame, {b: long(b) for b in text_blocks})["view"]
    text_blocks = [
        b["block_id"]
        for b in compare["blocks"]
        if b["type"] == "input" and b["element"]["type"] == "plain_text_input"
    ]
    commit = submit(slack, compare, {b: long(b) for b in text_blocks})["view"]
    text_blocks = [
        b["block_id"]
        for b in commit["blocks"]
        if b["type"] == "input" and b["element"]["type"] == "plain_text_input"
    ]
    assert submit(slack, commit, commit_answers(**{b: long(b) for b in text_blocks})) == {
        "response_action": "clear"
    }
    message = posted(fake_slack)  # validated: the fake would have answered invalid_blocks
    assert "Some texts are shortened here. Full record: `/decision show D-1`" in blob(message)
    with db.session() as session:
        decision = session.scalars(select(Decision)).one()
        assert decision.title == long(ids.TITLE) and len(decision.title) == 3000
        assert decision.evidence == long(ids.EVIDENCE)
        assert decision.options[2]["tradeoffs"] == long(ids.OPTION_TRADEOFFS.format(key="C"))
        assert decision.stop_conditions == long(ids.STOP_CONDITIONS)
    shown = slack.command("/decision", "show D-1").json()
    validate_message(shown)
    assert "tierbot decisions export D-1" in blob(shown)
    assert slack.block_action(ids.VIEW, "1", user_id="U1").status_code == 200
    validate_view(sent_view(fake_slack, "views.open"))


def test_list_and_show(slack: SlackHTTP, fake_slack: FakeSlack, acme: int) -> None:
    record_flow(slack, fake_slack, frame={ids.ACCOUNTS: [str(acme)], ids.TIERS: ["enterprise"]})
    listing = slack.command("/decision", "list").json()
    validate_message(listing)
    assert listing["response_type"] == "ephemeral"
    assert "*Decisions in force* · 1" in blob(listing) and "*D-1* Should Professional" in blob(listing)
    assert "· 0" in blob(slack.command("/decision", "list due").json())
    assert "touching Acme Corp" in blob(slack.command("/decision", "list all acme corp").json())
    assert "· 1" in blob(slack.command("/decision", "list enterprise").json())
    assert "· 0" in blob(slack.command("/decision", "list starter").json())
    assert "No tier or account matches" in blob(slack.command("/decision", "list zzqqxx").json())
    shown = slack.command("/decision", "show D-1").json()
    validate_message(shown)
    text = blob(shown)
    assert (
        "*Evidence*\\nQ4: 41 Professional sev1 tickets" in text and "*History*" in text and "created" in text
    )
    assert "There is no decision D-9" in blob(slack.command("/decision", "show D-9").json())
    assert "`/decision list [open|due|all]" in blob(slack.command("/decision", "help").json())
    assert "`/decision list [open|due|all]" in blob(slack.command("/decision", "frobnicate").json())


def test_tier_card_shows_decisions_and_opens_the_modal_for_its_account(
    slack: SlackHTTP, fake_slack: FakeSlack, acme: int
) -> None:
    record_flow(slack, fake_slack, frame={ids.ACCOUNTS: [str(acme)]})
    card = slack.command("/tier", "acme corp").json()
    assert "Decisions touching this account or tier" in blob(card)
    assert "*D-1* Should Professional accounts get 24x7 sev1 coverage? · open" in blob(card)
    assert slack.block_action(ids.OPEN, str(acme), user_id="U4").status_code == 200
    frame = sent_view(fake_slack, "views.open")
    accounts = next(b for b in frame["blocks"] if b.get("block_id") == ids.ACCOUNTS)
    assert accounts["element"]["initial_options"] == [
        {"text": {"type": "plain_text", "text": "Acme Corp", "emoji": True}, "value": str(acme)}
    ]
    tiers = next(b for b in frame["blocks"] if b.get("block_id") == ids.TIERS)
    assert [o["value"] for o in tiers["element"]["initial_options"]] == ["enterprise"]


def test_account_search_answers_from_the_matcher_and_prefixes(
    slack: SlackHTTP, services: Services, acme: int
) -> None:
    rockets = add_account(services.db, services.policy, "Acme Rockets", 3000)
    add_account(services.db, services.policy, "Globex", 3000)

    def search(value: str) -> list[str]:
        payload = {
            "type": "block_suggestion",
            "user": {"id": "U1"},
            "action_id": ids.ACCOUNTS_SEARCH,
            "block_id": ids.ACCOUNTS,
            "value": value,
            "view": {"id": "V1", "type": "modal", "callback_id": ids.FRAME},
        }
        response = slack.interaction(payload)
        assert response.status_code == 200, response.text
        return [o["value"] for o in response.json()["options"]]

    assert set(search("ac")) == {str(acme), str(rockets)}  # prefix while typing
    assert search("acme corp")[0] == str(acme)
    assert search("acme.example") == [str(acme)]  # the matcher's exact forms
    assert search("globx")[0] != str(acme)
