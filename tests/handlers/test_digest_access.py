"""Who may do what with the digest (issue 9, items 4 and 5), over signed HTTP and the Slack fake.

- `/digest subscribe|unsubscribe` needs the user in the channel (Slack's `conversations.members`,
  paginated, cached a minute) or an admin; `/digest list` shows only the user's channels (admins: all);
  Slack failing or hanging gets one clear line within Slack's 3 s, and nothing changes.
- Breach Acknowledge/Snooze must name a ticket the channel was shown (its latest digest, or a re-post
  since) that exists; a review reminder's Snooze is the decision owner's or an admin's.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from bot.jobs import run_job
from bot.services import Services
from bot.views import digest_ids, reminder_ids
from storage.db import Database
from storage.models.schedule import BreachAck, DigestSubscription, ReviewSnooze
from storage.models.tickets import Ticket
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


def said(response: Any) -> str:
    assert response.status_code == 200, response.text
    message = response.json()
    validate_message(message)
    assert message["response_type"] == "ephemeral"
    return json.dumps(message.get("blocks"), ensure_ascii=False)


def active(db: Database) -> set[str]:
    with db.session() as session:
        return set(session.scalars(select(DigestSubscription.channel).where(DigestSubscription.active)).all())


def member_calls(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [c.params for c in fake.calls_to("conversations.members") if c.params.get("channel") == channel]


# -- /digest and channel membership -------------------------------------------------------------------


def test_subscribing_and_unsubscribing_take_a_member_or_an_admin(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, clock: FakeClock
) -> None:
    fake_slack.members["C0OPS1234"] = ["U2"]
    refused = said(slack.command("/digest", "subscribe <#C0OPS1234|ops> daily 09:00", user_id="U1"))
    assert "Only members of <#C0OPS1234>" in refused and "Nothing was changed" in refused
    # A private channel the bot is not in: Slack hides its members, so only an admin can vouch.
    hidden = said(slack.command("/digest", "subscribe <#C0SECRET1|secret> daily 09:00", user_id="U1"))
    assert "I cannot see who is in <#C0SECRET1>" in hidden and "Nothing was changed" in hidden
    assert active(db) == set()

    assert "Subscribed <#C0OPS1234>" in said(
        slack.command("/digest", "subscribe <#C0OPS1234|ops> daily 09:00", user_id="U2")
    )
    calls = len(fake_slack.calls_to("conversations.members"))
    assert "Subscribed <#C0SECRET1>" in said(
        slack.command("/digest", "subscribe <#C0SECRET1|secret> daily 09:00", user_id="UADMIN")
    )
    assert len(fake_slack.calls_to("conversations.members")) == calls  # an admin needs no lookup

    # Unsubscribing someone else's channel is refused before looking, so it says nothing about it.
    for channel in ("C0OPS1234", "C0SECRET1"):
        refused = said(slack.command("/digest", f"unsubscribe <#{channel}>", user_id="U1"))
        assert "Nothing was changed" in refused and "will get no more" not in refused
    assert active(db) == {"C0OPS1234", "C0SECRET1"}
    assert "will get no more" in said(slack.command("/digest", "unsubscribe <#C0OPS1234>", user_id="U2"))
    assert "will get no more" in said(slack.command("/digest", "unsubscribe <#C0SECRET1>", user_id="UADMIN"))
    assert active(db) == set()


def test_list_shows_the_channels_the_user_is_in_and_admins_everything(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, clock: FakeClock
) -> None:
    for channel in ("CSUP", "C0OPS1234", "C0SECRET1"):
        add_subscription(db, channel, NOW, user="UCREATOR")
    fake_slack.members.update({"CSUP": ["U1", "U2"], "C0OPS1234": ["U2"]})
    mine = said(slack.command("/digest", "list", user_id="U1"))
    assert "<#CSUP>" in mine and "C0OPS1234" not in mine and "C0SECRET1" not in mine
    assert "subscriptions (1)" in mine
    theirs = said(slack.command("/digest", "list", user_id="U2"))
    assert "<#CSUP>" in theirs and "<#C0OPS1234>" in theirs and "C0SECRET1" not in theirs
    everything = said(slack.command("/digest", "list", user_id="UADMIN"))
    assert all(f"<#{c}>" in everything for c in ("CSUP", "C0OPS1234", "C0SECRET1"))
    assert "No channel you are in" in said(slack.command("/digest", "list", user_id="U9"))


def test_member_lists_are_paged_read_only_as_far_as_needed_and_kept_a_minute(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, clock: FakeClock
) -> None:
    fake_slack.members_page = 2
    fake_slack.members["C0BIG1234"] = [f"U0{i}" for i in range(7)] + ["U1"]  # four pages of two
    subscribe = "subscribe <#C0BIG1234|big> daily 09:00"

    assert "Subscribed" in said(slack.command("/digest", subscribe, user_id="U01"))
    [first] = member_calls(fake_slack, "C0BIG1234")  # found on the first page: no need to read on
    assert not first.get("cursor") and 0 < int(first["limit"]) < 1000

    # U1 is on the last page: reading goes on from the cursor kept, not from the start.
    assert "Changed" in said(slack.command("/digest", subscribe, user_id="U1"))
    calls = member_calls(fake_slack, "C0BIG1234")
    assert len(calls) == 4 and all(c.get("cursor") for c in calls[1:])
    assert len({c["cursor"] for c in calls[1:]}) == 3

    # Within the minute the whole list is known: members and strangers alike cost no call.
    assert "Changed" in said(slack.command("/digest", subscribe, user_id="U05"))
    assert "Only members" in said(slack.command("/digest", subscribe, user_id="U9"))
    assert len(member_calls(fake_slack, "C0BIG1234")) == 4

    # A minute later Slack is asked again: a member who left has lost access.
    fake_slack.members["C0BIG1234"].remove("U1")
    clock.advance(seconds=61)
    assert "Only members" in said(slack.command("/digest", "unsubscribe <#C0BIG1234>", user_id="U1"))
    assert len(member_calls(fake_slack, "C0BIG1234")) == 8
    assert active(db) == {"C0BIG1234"}


@pytest.mark.parametrize("status", [429, 500])
def test_slack_failing_gets_one_line_and_changes_nothing(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, clock: FakeClock, status: int
) -> None:
    fake_slack.members.update({"CSUP": ["U1"], "C0OPS1234": ["U1"]})
    add_subscription(db, "CSUP", NOW)
    fake_slack.fail("conversations.members", status, times=3, retry_after=30)
    for command in ("subscribe <#C0OPS1234|ops> daily 09:00", "unsubscribe <#CSUP>"):
        reply = said(slack.command("/digest", command, user_id="U1"))
        assert "Slack did not tell me in time who is in <#" in reply and "Nothing was changed" in reply
        assert len(json.loads(reply)) == 1
    assert "which channels you are in" in said(slack.command("/digest", "list", user_id="U1"))
    assert active(db) == {"CSUP"}
    # Nothing was cached from the failures: once Slack answers, it works.
    assert "Subscribed" in said(slack.command("/digest", "subscribe <#C0OPS1234|ops> daily 09:00"))


def test_a_hanging_slack_is_answered_within_slacks_deadline(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer_of = fake_slack._answer

    def hang(method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "conversations.members":
            time.sleep(4)
        return answer_of(method, params)

    monkeypatch.setattr(fake_slack, "_answer", hang)
    fake_slack.members["C0OPS1234"] = ["U1"]
    started = time.monotonic()
    reply = said(slack.command("/digest", "subscribe <#C0OPS1234|ops> daily 09:00", user_id="U1"))
    assert time.monotonic() - started < 2.8
    assert "Slack did not tell me in time" in reply and "Nothing was changed" in reply
    assert active(db) == set()


# -- breach buttons name a ticket of the channel's digest ---------------------------------------------


def press(slack: SlackHTTP, action: dict[str, Any], channel: str = "CSUP", user: str = "UANA") -> None:
    """Press a control on a message in `channel` (tierbot answers on the response_url)."""
    fake_message = {"type": "message", "ts": "1700000000.000001", "text": "digest", "blocks": []}
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": "T1"},
        "trigger_id": "trig-1",
        "response_url": slack.response_url,
        "channel": {"id": channel, "name": "support"},
        "container": {"type": "message", "message_ts": "1700000000.000001", "channel_id": channel},
        "message": fake_message,
        "actions": [action | {"action_ts": str(time.time())}],
    }
    response = slack.interaction(payload)
    assert response.status_code == 200, response.text


def ack_action(ticket_id: str) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": digest_ids.ACK,
        "block_id": f"{digest_ids.BREACH_BLOCK}:{ticket_id}",
        "value": ticket_id,
    }


def snooze_action(ticket_id: str, choice: str = "1h") -> dict[str, Any]:
    option = {"text": {"type": "plain_text", "text": "Snooze 1 hour"}, "value": f"{ticket_id}|{choice}"}
    return {
        "type": "static_select",
        "action_id": digest_ids.SNOOZE,
        "block_id": f"{digest_ids.BREACH_BLOCK}:{ticket_id}",
        "selected_option": option,
    }


def last_reply(fake: FakeSlack) -> str:
    reply = fake.responses[-1]
    validate_message(reply)
    assert reply["response_type"] == "ephemeral" and reply["replace_original"] is False
    return json.dumps(reply["blocks"])


def ack_rows(db: Database) -> dict[str, BreachAck]:
    with db.session() as session:
        return {row.ticket_id: row for row in session.scalars(select(BreachAck)).all()}


@pytest.fixture
def digested(services: Services, db: Database, fake_slack: FakeSlack, clock: FakeClock) -> int:
    """CSUP got a digest showing the breached T-100; returns the account id."""
    acct = add_account(db, services.policy, "Acme Corp", 32000)
    add_ticket(db, "T-100", acct, "enterprise", NOW - timedelta(days=1))
    add_subscription(db, "CSUP", NOW - timedelta(days=1))
    run_job(services, "digests")
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    return acct


def test_breach_buttons_refuse_tickets_the_channel_was_not_shown(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, digested: int
) -> None:
    add_ticket(db, "T-200", digested, "enterprise", NOW - timedelta(hours=2))  # breached, after the digest
    for action in (ack_action("T-200"), snooze_action("T-200"), ack_action("NO-SUCH-TICKET")):
        press(slack, action)
        reply = last_reply(fake_slack)
        assert "was not in this channel's latest SLA digest" in reply and "Nothing was changed" in reply
    press(slack, ack_action("T-100"), channel="COTHER")  # a channel with no digest at all
    assert "This channel has no SLA digest" in last_reply(fake_slack)
    assert ack_rows(db) == {}

    # Shown, but gone since (deleted upstream): refused too.
    with db.session() as session:
        session.execute(delete(Ticket).where(Ticket.id == "T-100"))
    press(slack, snooze_action("T-100"))
    assert "There is no ticket `T-100`" in last_reply(fake_slack)
    assert ack_rows(db) == {}


def test_breaches_shown_by_the_digest_or_a_repost_can_be_acknowledged(
    services: Services, slack: SlackHTTP, fake_slack: FakeSlack, db: Database, clock: FakeClock, digested: int
) -> None:
    press(slack, ack_action("T-100"))
    assert ack_rows(db)["T-100"].acked_by == "UANA"

    add_ticket(db, "T-200", digested, "enterprise", NOW)  # first response due 30 min later
    press(slack, snooze_action("T-200"))
    assert "not in this channel's latest SLA digest" in last_reply(fake_slack)
    clock.advance(hours=2)
    run_job(services, "breach-reposts")  # T-200 is re-posted to CSUP, with its buttons
    assert "T-200" in json.dumps(fake_slack.calls_to("chat.postMessage")[-1].params["blocks"])
    press(slack, snooze_action("T-200"), user="UBOB")
    row = ack_rows(db)["T-200"]
    assert row.snoozed_by == "UBOB" and row.snoozed_until == clock() + timedelta(hours=1)


# -- review reminders: Snooze is the owner's (or an admin's) ------------------------------------------


def test_review_reminder_snooze_is_the_owners_or_an_admins(
    services: Services, slack: SlackHTTP, fake_slack: FakeSlack, db: Database, clock: FakeClock
) -> None:
    decision = add_decision(db, "Price the Premium tier", date(2026, 11, 25), owner="UOWNER")

    def snooze(user: str, decision_id: int = decision) -> None:
        action_id = f"{reminder_ids.SNOOZE}:1w"
        action = {
            "type": "button",
            "action_id": action_id,
            "block_id": f"{reminder_ids.ACTIONS_BLOCK}:{decision_id}",
            "value": str(decision_id),
        }
        press(slack, action, channel="CDECISIONS", user=user)

    snooze("UBOB")
    refused = last_reply(fake_slack)
    assert "Only the owner (<@UOWNER>) or a tierbot admin" in refused and "Nothing was changed" in refused
    snooze("UBOB", decision_id=99999)
    assert "There is no decision" in last_reply(fake_slack)
    with db.session() as session:
        assert session.scalars(select(ReviewSnooze)).all() == []

    snooze("UADMIN")
    with db.session() as session:
        row = session.get(ReviewSnooze, decision)
        assert row is not None and row.by == "UADMIN" and row.until == NOW + timedelta(days=7)
