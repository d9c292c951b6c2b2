"""/digest over signed HTTP (subscribe, list, unsubscribe, membership warning) and the buttons on the
messages the scheduler posts: Acknowledge and Snooze on breaches, Snooze on review reminders."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.jobs import run_job
from bot.services import Services
from bot.views import decision_ids, digest_ids, reminder_ids
from storage.db import Database
from storage.models.schedule import BreachAck, DigestSubscription, ReviewSnooze
from tests.conftest import add_account
from tests.fake_slack import FakeSlack, validate_message
from tests.schedule.conftest import FakeClock, add_decision, add_subscription, add_ticket
from tests.slack_http import SlackHTTP

NOW = datetime(2026, 11, 23, 8, 0, 30, tzinfo=UTC)  # Monday 09:00:30 in Paris


@pytest.fixture
def clock(services: Services) -> FakeClock:
    fake = FakeClock(NOW)
    services.clock = fake
    return fake


def answer(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    message = response.json()
    validate_message(message)
    assert message["response_type"] == "ephemeral"
    return message


def text_of(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks"), ensure_ascii=False) + message.get("text", "")


def subs(db: Database) -> dict[str, DigestSubscription]:
    with db.session() as session:
        return {s.channel: s for s in session.scalars(select(DigestSubscription)).all()}


def wait_for(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_subscribe_list_unsubscribe(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, clock: FakeClock
) -> None:
    fake_slack.members.update({"CSUP": ["U1"], "C0OPS1234": ["U2", "U1"]})
    reply = answer(
        slack.command(
            "/digest", "subscribe daily 09:00 enterprise tz=Europe/Paris skip-holidays=fr", channel_id="CSUP"
        )
    )
    assert "Subscribed <#CSUP> to the SLA digest" in text_of(reply)
    assert "daily at 09:00 (Europe/Paris), skipping FR public holidays" in text_of(reply)
    assert "Next: *Tue 24 Nov 09:00 CET*" in text_of(reply)  # today's 09:00 has just passed
    sub = subs(db)["CSUP"]
    assert (sub.cadence, sub.at_time, sub.tz, sub.tiers, sub.skip_holidays, sub.created_by) == (
        "daily",
        "09:00",
        "Europe/Paris",
        ["enterprise"],
        "FR",
        "U1",
    )

    reply = answer(
        slack.command("/digest", "subscribe <#C0OPS1234|ops> weekly mon 08:30 professional starter")
    )
    assert "weekly on Mon at 08:30 (UTC)" in text_of(reply)
    assert subs(db)["C0OPS1234"].tiers == ["professional", "starter"]
    again = answer(slack.command("/digest", "subscribe <#C0OPS1234|ops> hourly", user_id="U2"))
    assert "Changed the SLA digest of <#C0OPS1234>" in text_of(again)
    assert subs(db)["C0OPS1234"].cadence == "hourly"

    listing = text_of(answer(slack.command("/digest", "list")))
    assert "<#CSUP>" in listing and "<#C0OPS1234>" in listing and "hourly during business hours" in listing

    gone = answer(slack.command("/digest", "unsubscribe <#C0OPS1234|ops>"))
    assert "<#C0OPS1234> will get no more SLA digests" in text_of(gone)
    assert "not subscribed" in text_of(answer(slack.command("/digest", "unsubscribe <#C0OPS1234|ops>")))
    listing = text_of(answer(slack.command("/digest", "list")))
    assert "<#CSUP>" in listing and "C0OPS1234" not in listing
    assert "<#CSUP> will get no more" in text_of(
        answer(slack.command("/digest", "unsubscribe", channel_id="CSUP"))
    )
    assert "No channel you are in is subscribed" in text_of(answer(slack.command("/digest", "list")))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("subscribe #support daily 09:00", "I can only use a channel link"),
        ("subscribe daily 09:00 tz=Mars/Olympus", "is not an IANA time zone"),
        ("subscribe daily 09:00 skip-holidays=XX", "No public-holiday calendar"),
        ("subscribe daily 25:00", "is not a time of day"),
        ("subscribe weekly 09:00", "Say which day"),
        ("subscribe enterprise", "Say how often"),
        ("subscribe hourly 09:00", "`hourly` takes no time"),
        ("subscribe daily 09:00 platinum", "I don't understand `platinum`"),
        ("subscribe daily <!channel>", "I don't understand"),
    ],
)
def test_subscribe_refusals_change_nothing(
    slack: SlackHTTP, db: Database, clock: FakeClock, text: str, expected: str
) -> None:
    reply = text_of(answer(slack.command("/digest", text)))
    assert expected in reply and "Nothing was changed" in reply
    assert "<!channel>" not in reply
    assert subs(db) == {}


@pytest.mark.parametrize("text", ["", "help", "what"])
def test_help(slack: SlackHTTP, clock: FakeClock, text: str) -> None:
    assert "/digest subscribe [#channel] daily 09:00" in text_of(answer(slack.command("/digest", text)))


def test_subscribing_a_channel_the_bot_is_not_in_warns_the_subscriber(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, clock: FakeClock
) -> None:
    fake_slack.not_in_channel.add("C0PRIVATE1")
    # A private channel the bot is not in hides its members from the bot: only an admin may subscribe it.
    answer(slack.command("/digest", "subscribe <#C0PRIVATE1|private> daily 09:00", user_id="UADMIN"))
    wait_for(lambda: fake_slack.responses)
    warning = fake_slack.responses[-1]
    validate_message(warning)
    assert "I am not a member of <#C0PRIVATE1>" in text_of(warning) and "/invite @tierbot" in text_of(warning)
    assert warning["response_type"] == "ephemeral"
    assert "C0PRIVATE1" in subs(db)  # kept: it works as soon as the bot is invited

    fake_slack.responses.clear()
    fake_slack.members["CMEMBER"] = ["U1"]
    answer(slack.command("/digest", "subscribe daily 09:00", channel_id="CMEMBER"))
    wait_for(
        lambda: any(c.params.get("channel") == "CMEMBER" for c in fake_slack.calls_to("conversations.info"))
    )
    time.sleep(0.2)
    assert fake_slack.responses == []


# -- buttons ------------------------------------------------------------------------------------------


def click(slack: SlackHTTP, action: dict[str, Any], message: dict[str, Any], user: str = "UANA") -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": "T1"},
        "trigger_id": "trig-1",
        "response_url": slack.response_url,
        "channel": {"id": message.get("channel", "CSUP"), "name": "support"},
        "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": "CSUP"},
        "message": {
            "type": "message",
            "ts": "1700000000.000001",
            "text": message["text"],
            "blocks": message["blocks"],
        },
        "actions": [action | {"action_ts": str(time.time())}],
    }
    response = slack.interaction(payload)
    assert response.status_code == 200, response.text


@pytest.fixture
def posted_digest(
    services: Services, db: Database, fake_slack: FakeSlack, clock: FakeClock
) -> dict[str, Any]:
    acct = add_account(db, services.policy, "Acme Corp", 32000)
    add_ticket(db, "T-100", acct, "enterprise", NOW - timedelta(days=1))
    add_subscription(db, "CSUP", NOW - timedelta(days=1))
    run_job(services, "digests")
    [call] = fake_slack.calls_to("chat.postMessage")
    return {"text": call.params["text"], "blocks": call.params["blocks"], "channel": "CSUP"}


def _breach_block(message: dict[str, Any]) -> dict[str, Any]:
    return next(b for b in message["blocks"] if b.get("block_id") == f"{digest_ids.BREACH_BLOCK}:T-100")


def test_acknowledge_records_once_and_updates_the_message(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, posted_digest: dict[str, Any]
) -> None:
    block = _breach_block(posted_digest)
    button = next(e for e in block["elements"] if e["action_id"] == digest_ids.ACK)
    click(
        slack,
        {
            "type": "button",
            "action_id": digest_ids.ACK,
            "block_id": block["block_id"],
            "value": button["value"],
        },
        posted_digest,
    )
    updated = fake_slack.responses[-1]
    validate_message(updated)
    assert updated["replace_original"] is True
    status = _breach_block(updated)
    assert status["type"] == "context" and "Acknowledged by <@UANA>" in json.dumps(status)
    assert len(updated["blocks"]) == len(posted_digest["blocks"])

    # A second person (or a retried delivery) changes nothing: the first acknowledgement stands.
    click(
        slack,
        {"type": "button", "action_id": digest_ids.ACK, "block_id": block["block_id"], "value": "T-100"},
        posted_digest,
        user="UBOB",
    )
    assert "Acknowledged by <@UANA>" in json.dumps(_breach_block(fake_slack.responses[-1]))
    with db.session() as session:
        row = session.get(BreachAck, "T-100")
        assert row is not None and row.acked_by == "UANA" and row.acked_at == NOW


def test_snooze_select_records_the_snooze_and_updates_the_message(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, posted_digest: dict[str, Any]
) -> None:
    block = _breach_block(posted_digest)
    select_menu = next(e for e in block["elements"] if e["action_id"] == digest_ids.SNOOZE)
    option = next(o for o in select_menu["options"] if o["value"].endswith("|tomorrow"))
    click(
        slack,
        {
            "type": "static_select",
            "action_id": digest_ids.SNOOZE,
            "block_id": block["block_id"],
            "selected_option": option,
        },
        posted_digest,
    )
    updated = fake_slack.responses[-1]
    validate_message(updated)
    assert "Snoozed by <@UANA> until Tue 24 Nov 09:00 CET" in json.dumps(_breach_block(updated))
    with db.session() as session:
        row = session.get(BreachAck, "T-100")
        assert row is not None and row.acked_by is None
        assert row.snoozed_until == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


def test_review_reminder_snooze(
    services: Services, slack: SlackHTTP, fake_slack: FakeSlack, db: Database, clock: FakeClock
) -> None:
    decision = add_decision(db, "Price the Premium tier", date(2026, 11, 25))
    run_job(services, "review-reminders")
    dm = next(c for c in fake_slack.calls_to("chat.postMessage") if c.params["channel"] == "DUOWNER")
    message = {"text": dm.params["text"], "blocks": dm.params["blocks"], "channel": "DUOWNER"}
    actions = next(b for b in message["blocks"] if b["type"] == "actions")
    week = next(e for e in actions["elements"] if e["action_id"] == f"{reminder_ids.SNOOZE}:1w")
    click(
        slack,
        {
            "type": "button",
            "action_id": week["action_id"],
            "block_id": actions["block_id"],
            "value": week["value"],
        },
        message,
        user="UOWNER",
    )
    updated = fake_slack.responses[-1]
    validate_message(updated)
    assert "Snoozed by <@UOWNER> until Mon 30 Nov" in text_of(updated)
    with db.session() as session:
        row = session.get(ReviewSnooze, decision)
        assert row is not None and row.until == NOW + timedelta(days=7) and row.by == "UOWNER"


def test_mark_reviewed_on_a_reminder_reaches_the_decision(
    services: Services, slack: SlackHTTP, fake_slack: FakeSlack, db: Database, clock: FakeClock
) -> None:
    from storage.models.decisions import Decision

    decision = add_decision(db, "Price the Premium tier", date(2026, 11, 25))
    run_job(services, "review-reminders")
    dm = next(c for c in fake_slack.calls_to("chat.postMessage") if c.params["channel"] == "DUOWNER")
    message = {"text": dm.params["text"], "blocks": dm.params["blocks"], "channel": "DUOWNER"}
    actions = next(b for b in message["blocks"] if b["type"] == "actions")
    menu = next(e for e in actions["elements"] if e["action_id"] == decision_ids.MARK_REVIEWED)
    option = next(o for o in menu["options"] if o["value"] == f"{decision}:continue")
    click(
        slack,
        {
            "type": "static_select",
            "action_id": menu["action_id"],
            "block_id": actions["block_id"],
            "selected_option": option,
        },
        message,
        user="UOWNER",
    )
    with db.session() as session:
        row = session.get(Decision, decision)
        assert row is not None and row.status == "reviewed" and row.last_outcome == "continue"


def test_public_channel_without_the_bot_gets_a_softer_note(
    slack: SlackHTTP, fake_slack: FakeSlack, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer_of = fake_slack._answer

    def public_info(method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "conversations.info":
            channel = {"id": params["channel"], "is_member": False, "is_private": False}
            return {"ok": True, "channel": channel}
        return answer_of(method, params)

    monkeypatch.setattr(fake_slack, "_answer", public_info)
    fake_slack.members["C0PUBLIC1"] = ["U1"]  # a public channel lists its members to the bot
    answer(slack.command("/digest", "subscribe <#C0PUBLIC1|general> daily 09:00"))
    wait_for(lambda: fake_slack.responses)
    note = text_of(fake_slack.responses[-1])
    assert "I am not a member of <#C0PUBLIC1>" in note and "chat:write.public" in note
