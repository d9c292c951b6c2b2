"""Link unfurls over signed HTTP: link_shared events into tierbot, chat.unfurl into the Slack fake."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.config import Settings
from bot.policy.model import Policy
from bot.services import Services
from storage.db import Database
from storage.models import Account
from storage.models.sync import SyncLink
from storage.models.tickets import Ticket, TicketEvent
from tests.conftest import add_account
from tests.fake_slack import FakeSlack, eventually, validate_blocks
from tests.slack_http import SIGNING_SECRET, SlackHTTP

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # a Tuesday noon
ZD = "https://acme.zendesk.com/agent"
HS = "https://app.hubspot.com/contacts/2001"
SF_LIGHTNING = "https://acme.lightning.force.com/lightning/r/Account/001A000001AbCdEIAV/view"
SF_CLASSIC = "https://acme.my.salesforce.com/001A000001AbCdE"  # the 15-character form of the same id


@pytest.fixture
def settings(db: Database, fake_slack: FakeSlack) -> Settings:
    return Settings(
        _env_file=None,
        database_url=db.url,
        slack_bot_token="xoxb-test-token-123456",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake_slack.url,
        zendesk_subdomain="acme",
        zendesk_email="agent@example.com",
        zendesk_api_token="zd-token",
        hubspot_token="hs-token",
        salesforce_instance_url="https://acme.my.salesforce.com",
        salesforce_access_token="sf-token",
    )


@pytest.fixture
def services(settings: Settings, db: Database, policy: Policy) -> Services:
    return Services(settings=settings, db=db, policy=policy, clock=lambda: NOW, version_ttl=0.0)


def _ticket(db: Database, ticket_id: str, account_id: int, *, minutes_ago: int, responded_after: int | None,
            status: str = "open", severity: str = "sev1", solved_ago: int | None = None) -> None:  # fmt: skip
    created = NOW - timedelta(minutes=minutes_ago)
    with db.session() as session:
        session.add(
            Ticket(
                id=ticket_id,
                account_id=account_id,
                severity=severity,
                status=status,
                subject=f"<!channel> subject of {ticket_id}",
                created_at=created,
                first_response_at=None
                if responded_after is None
                else created + timedelta(minutes=responded_after),
                solved_at=None if solved_ago is None else NOW - timedelta(minutes=solved_ago),
                sla_tier="enterprise",
            )
        )


@pytest.fixture
def seeded(db: Database, policy: Policy) -> dict[str, int]:
    """Acme (HubSpot company 4501) with four open tickets: 101 fine, 102 breached, 103 at risk, 104
    paused; 105 solved in time. Globex (Salesforce). Initech (CSV) linked to Zendesk organization 900."""
    acme = add_account(db, policy, "Acme <Corp>", 50000, owner="UOWNER1")
    globex = add_account(db, policy, "Globex", 30000, owner="Hank Scorpio")
    initech = add_account(db, policy, "Initech", 1000)
    with db.session() as session:
        session.execute(update(Account).where(Account.id == acme).values(source="hubspot", source_id="4501"))
        session.execute(
            update(Account)
            .where(Account.id == globex)
            .values(source="salesforce", source_id="001A000001AbCdEIAV")
        )
        session.add(SyncLink(source="zendesk-orgs", remote_id="900", account_id=initech, updated_at=NOW))
    # sev1 on Enterprise: first response 30m, resolution 4h, 24x7; at risk under 25% left.
    _ticket(db, "101", acme, minutes_ago=120, responded_after=10)  # 2h left: fine
    _ticket(db, "102", acme, minutes_ago=360, responded_after=None)  # 5h30m over, and 2h over
    _ticket(db, "103", acme, minutes_ago=200, responded_after=10)  # 40m left: at risk
    _ticket(db, "104", acme, minutes_ago=300, responded_after=10, status="pending")  # paused
    _ticket(db, "105", acme, minutes_ago=600, responded_after=5, status="solved", solved_ago=480)
    with db.session() as session:
        # 104 ran 1h, then waited on the customer: 3h left while paused.
        session.add(TicketEvent(ticket_id="104", at=NOW - timedelta(minutes=240), status="pending"))
    return {"acme": acme, "globex": globex, "initech": initech}


def _event(*urls: str, **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "link_shared",
        "channel": "C1",
        "is_bot_user_member": True,
        "user": "U7",
        "message_ts": "1700000000.000100",
        "event_ts": "1700000000.000100",
        "source": "conversations_history",
        "links": [{"domain": url.split("/")[2] if "//" in url else "x", "url": url} for url in urls],
    }
    event.update(extra)
    return event


def _unfurled(fake: FakeSlack, count: int = 1) -> list[dict[str, Any]]:
    found = eventually(lambda: len(fake.unfurled) >= count and fake.unfurled)
    assert found, f"no chat.unfurl; calls: {[c.method for c in fake.calls]}"
    return list(found)


def _text(unfurl: dict[str, Any]) -> str:
    validate_blocks(unfurl["blocks"])  # what Slack checks, with slack_sdk's models
    return json.dumps(unfurl["blocks"], ensure_ascii=False)


def test_ticket_links_show_each_clock_and_the_accounts_breaches(
    slack: SlackHTTP, fake_slack: FakeSlack, seeded: dict[str, int]
) -> None:
    urls = [f"{ZD}/tickets/102", f"{ZD}/tickets/103", f"{ZD}/tickets/104", f"{ZD}/tickets/105"]
    response = slack.event(_event(*urls, unfurl_id="C1.1700000000.000100.abc"), event_id="EvT1")
    assert response.status_code == 200
    [call] = _unfurled(fake_slack)
    # The unfurl_id and source Slack sent are what the unfurl is attached with.
    assert call["target"] == {"unfurl_id": "C1.1700000000.000100.abc", "source": "conversations_history"}
    assert list(call["unfurls"]) == urls
    breached, at_risk, paused, solved = (_text(call["unfurls"][u]) for u in urls)

    assert ":red_circle: *Zendesk ticket 102*" in breached
    assert "*First response*\\n:red_circle: *breached* · 5h 30m over (target 30m)" in breached
    assert "*Resolution*\\n:red_circle: *breached* · 2h over (target 4h)" in breached
    assert "Acme &lt;Corp&gt; · *Enterprise*" in breached and "<@UOWNER1>" in breached
    assert "&lt;!channel&gt; subject of 102" in breached and "<!channel>" not in breached
    assert ":red_circle: 1 breached · 1 at risk, of 4 open tickets" in breached

    assert "*Resolution*\\n:large_orange_circle: *at risk* · due in 40m, Tue 10 Mar 12:40 UTC (target 4h)" in at_risk  # fmt: skip
    assert "*First response*\\n:white_check_mark: met (target 30m)" in at_risk

    assert "*Resolution*\\n:double_vertical_bar: paused, waiting on the customer · 3h left (target 4h)" in paused  # fmt: skip
    assert "*Status*\\npending · sev1" in paused

    assert (
        "*Resolution*\\n:white_check_mark: met (target 4h)" in solved
        and ":red_circle: *Zendesk" not in solved
    )


def test_organization_and_crm_links_show_the_account(
    slack: SlackHTTP, fake_slack: FakeSlack, seeded: dict[str, int]
) -> None:
    urls = [
        f"{ZD}/organizations/900",
        f"{HS}/company/4501",
        f"{HS}/record/0-2/4501/view/1",
        SF_LIGHTNING,
        SF_CLASSIC,
    ]
    assert slack.event(_event(*urls), event_id="EvO1").status_code == 200
    [call] = _unfurled(fake_slack)
    # No unfurl_id: the message's channel and ts.
    assert call["target"] == {"channel": "C1", "ts": "1700000000.000100"}
    org, company, record, lightning, classic = (_text(call["unfurls"][u]) for u in urls)
    assert "*Initech* · Starter tier" in org and "account data from a CSV import" in org
    assert "Zendesk organization 900" in org and "none (no open tickets)" in org and "*Owner*\\n—" in org
    assert company == record.replace("/view/1", "")  # the two HubSpot URL forms unfurl alike
    assert "*Acme &lt;Corp&gt;* · Enterprise tier" in company and "HubSpot company 4501" in company
    assert ":red_circle: 1 breached · 1 at risk, of 4 open tickets" in company
    assert "*Globex* · Enterprise tier" in lightning and "Hank Scorpio" in lightning
    assert "account data from Salesforce" in lightning
    assert "Salesforce account 001A000001AbCdEIAV" in classic  # the 15-character id found the 18


def test_unknown_records_get_a_short_line_and_other_links_nothing(
    slack: SlackHTTP, fake_slack: FakeSlack, seeded: dict[str, int]
) -> None:
    urls = [
        f"{ZD}/tickets/999",  # not synced
        "https://other.zendesk.com/agent/tickets/101",  # not the configured helpdesk
        "https://[acme.zendesk.com/agent/tickets/101",  # malformed
        f"{HS}/company/777",  # not synced
        "https://acme.zendesk.com/hc/en-us/articles/1",  # not a record
    ]
    assert slack.event(_event(*urls), event_id="EvU1").status_code == 200
    [call] = _unfurled(fake_slack)
    assert list(call["unfurls"]) == [urls[0], urls[3]]
    assert "Zendesk ticket 999 is not known to tierbot" in _text(call["unfurls"][urls[0]])
    assert "HubSpot company 777 is not known to tierbot" in _text(call["unfurls"][urls[3]])

    # Nothing recognised: no chat.unfurl at all. The event after it shows the lazy work has run.
    assert slack.event(_event("https://example.com/x", "nonsense"), event_id="EvU2").status_code == 200
    assert slack.event(_event(f"{ZD}/organizations/900"), event_id="EvU3").status_code == 200
    calls = _unfurled(fake_slack, 2)
    assert len(calls) == 2 and list(calls[1]["unfurls"]) == [f"{ZD}/organizations/900"]
    assert len(fake_slack.calls_to("chat.unfurl")) == 2


def test_a_retried_delivery_unfurls_once(
    slack: SlackHTTP, fake_slack: FakeSlack, seeded: dict[str, int]
) -> None:
    event = _event(f"{ZD}/tickets/102")
    assert slack.event(event, event_id="EvR1").status_code == 200
    _unfurled(fake_slack)
    assert slack.event(event, event_id="EvR1", retry_num=1).status_code == 200
    assert slack.event(event, event_id="EvR1", retry_num=2).status_code == 200
    assert slack.event(_event(f"{HS}/company/4501"), event_id="EvR2").status_code == 200
    calls = _unfurled(fake_slack, 2)
    assert [list(c["unfurls"]) for c in calls] == [[f"{ZD}/tickets/102"], [f"{HS}/company/4501"]]
    assert len(fake_slack.calls_to("chat.unfurl")) == 2


@pytest.mark.parametrize(("status", "error"), [(429, "ratelimited"), (500, "internal_error")])
def test_chat_unfurl_failures_are_logged_without_a_traceback(
    slack: SlackHTTP,
    fake_slack: FakeSlack,
    seeded: dict[str, int],
    caplog: pytest.LogCaptureFixture,
    status: int,
    error: str,
) -> None:
    caplog.set_level(logging.INFO)
    fake_slack.fail("chat.unfurl", status, retry_after=30 if status == 429 else None, error=error)
    assert slack.event(_event(f"{ZD}/tickets/102"), event_id=f"EvF{status}").status_code == 200
    line = f"chat.unfurl failed: {error} (HTTP {status}, 1 links)"
    assert eventually(lambda: line in caplog.text), caplog.text
    assert all(r.exc_info is None for r in caplog.records)
    assert "Acme" not in caplog.text  # the log names the failure, not the payload
    assert len(fake_slack.calls_to("chat.unfurl")) == 1  # attempted once: no retry storm
    assert fake_slack.unfurled == []


def test_a_link_in_the_composer_unfurls_by_its_unfurl_id_once_its_channel_is_known(
    slack: SlackHTTP, fake_slack: FakeSlack, seeded: dict[str, int]
) -> None:
    # Slack's composer events name no channel ("COMPOSER"): where the message will go is unknown, so
    # it could be a Slack Connect channel, and nothing is unfurled (the posted message gets its own
    # link_shared, with its channel). One that names its channel is checked like any other.
    composer = {"source": "composer", "unfurl_id": "Uabc-123", "message_ts": "Uabc-123-ts"}
    assert slack.event(_event(f"{ZD}/tickets/103", **composer, channel="COMPOSER"), event_id="EvC1").status_code == 200  # fmt: skip
    event = _event(f"{ZD}/tickets/103", **composer)
    del event["channel"]
    assert slack.event(event, event_id="EvC2").status_code == 200
    fake_slack.channels["CEXT"] = {"is_shared": True, "is_ext_shared": True}
    assert slack.event(_event(f"{ZD}/tickets/103", **composer, channel="CEXT"), event_id="EvC3").status_code == 200  # fmt: skip
    assert slack.event(_event(f"{ZD}/tickets/103", **composer, channel="C1"), event_id="EvC4").status_code == 200  # fmt: skip
    [call] = _unfurled(fake_slack)
    assert call["target"] == {"unfurl_id": "Uabc-123", "source": "composer"}
    assert eventually(lambda: len(fake_slack.calls_to("chat.unfurl")) == 1)
    assert sorted(_info_calls(fake_slack)) == ["C1", "CEXT"]  # never asked about "COMPOSER"


def test_a_chat_unfurl_timeout_is_logged_without_a_traceback(
    slack: SlackHTTP, fake_slack: FakeSlack, seeded: dict[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake_slack.delay("chat.unfurl", 3.5)  # past the request client's 3 s timeout
    assert slack.event(_event(f"{ZD}/tickets/102"), event_id="EvD1").status_code == 200
    assert eventually(lambda: "chat.unfurl failed: TimeoutError (1 links)" in caplog.text, 8), caplog.text
    assert all(r.exc_info is None for r in caplog.records)


# -- channels shared with another organization -----------------------------------------------------


def _info_calls(fake: FakeSlack) -> list[str]:
    return [str(c.params.get("channel")) for c in fake.calls_to("conversations.info")]


@pytest.mark.parametrize(
    "flags",
    [
        {"is_shared": True, "is_ext_shared": True},  # Slack Connect
        {"is_pending_ext_shared": True},  # an external share awaiting approval: history goes with it
        {"is_shared": True},  # shared, without saying with whom: not assumed internal
    ],
)
def test_no_unfurl_in_a_channel_shared_with_another_organization(
    slack: SlackHTTP, fake_slack: FakeSlack, seeded: dict[str, int], flags: dict[str, bool]
) -> None:
    fake_slack.channels["CEXT"] = flags
    assert slack.event(_event(f"{ZD}/tickets/102", channel="CEXT"), event_id="EvX1").status_code == 200
    # The next event, in an internal channel, shows the lazy work of the first has run.
    assert slack.event(_event(f"{HS}/company/4501"), event_id="EvX2").status_code == 200
    [call] = _unfurled(fake_slack)
    assert call["target"] == {"channel": "C1", "ts": "1700000000.000100"}
    assert eventually(lambda: len(fake_slack.calls_to("chat.unfurl")) == 1)
    assert "CEXT" in _info_calls(fake_slack)
    assert all(c.params.get("channel") != "CEXT" for c in fake_slack.calls_to("chat.unfurl"))


def test_a_channel_shared_across_one_enterprise_org_is_internal(
    slack: SlackHTTP, fake_slack: FakeSlack, seeded: dict[str, int]
) -> None:
    fake_slack.channels["CORG"] = {"is_shared": True, "is_org_shared": True}
    assert slack.event(_event(f"{ZD}/tickets/102", channel="CORG"), event_id="EvG1").status_code == 200
    [call] = _unfurled(fake_slack)
    assert call["target"] == {"channel": "CORG", "ts": "1700000000.000100"}


def test_the_channel_check_is_cached_across_events(
    slack: SlackHTTP, fake_slack: FakeSlack, seeded: dict[str, int]
) -> None:
    fake_slack.channels["CEXT"] = {"is_shared": True, "is_ext_shared": True}
    for n in range(2):
        assert slack.event(_event(f"{ZD}/tickets/102"), event_id=f"EvK{n}").status_code == 200
        assert slack.event(_event(f"{ZD}/tickets/102", channel="CEXT"), event_id=f"EvL{n}").status_code == 200
        _unfurled(fake_slack, n + 1)
    assert eventually(lambda: len(_info_calls(fake_slack)) >= 2)
    assert sorted(_info_calls(fake_slack)) == ["C1", "CEXT"]  # once per channel for both events
    assert len(fake_slack.unfurled) == 2 and all(u["target"]["channel"] == "C1" for u in fake_slack.unfurled)


@pytest.mark.parametrize(("status", "error"), [(200, "channel_not_found"), (429, "ratelimited")])
def test_a_failed_channel_check_means_no_unfurl_and_one_log_line(
    slack: SlackHTTP,
    fake_slack: FakeSlack,
    seeded: dict[str, int],
    caplog: pytest.LogCaptureFixture,
    status: int,
    error: str,
) -> None:
    caplog.set_level(logging.INFO)
    fake_slack.fail("conversations.info", status, retry_after=30 if status == 429 else None, error=error)
    assert slack.event(_event(f"{ZD}/tickets/102", channel="CPRIV"), event_id="EvI1").status_code == 200
    line = f"conversations.info failed for CPRIV: {error} (HTTP {status}); link not unfurled"
    assert eventually(lambda: line in caplog.text), caplog.text
    assert [r.getMessage() for r in caplog.records if "conversations.info" in r.getMessage()] == [line]
    assert all(r.exc_info is None for r in caplog.records)
    assert "xoxb" not in caplog.text and "Acme" not in caplog.text
    # Not cached: the next event in that channel asks again, and unfurls.
    assert slack.event(_event(f"{ZD}/tickets/102", channel="CPRIV"), event_id="EvI2").status_code == 200
    [call] = _unfurled(fake_slack)
    assert call["target"]["channel"] == "CPRIV"
    assert fake_slack.calls_to("chat.unfurl") and len(_info_calls(fake_slack)) == 2


def test_a_timed_out_channel_check_means_no_unfurl(
    slack: SlackHTTP, fake_slack: FakeSlack, seeded: dict[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake_slack.delay("conversations.info", 3.5)  # past the request client's 3 s timeout
    assert slack.event(_event(f"{ZD}/tickets/102"), event_id="EvIT").status_code == 200
    line = "conversations.info failed for C1: TimeoutError; link not unfurled"
    assert eventually(lambda: line in caplog.text, 8), caplog.text
    assert all(r.exc_info is None for r in caplog.records)
    assert fake_slack.calls_to("chat.unfurl") == []


def test_a_ticket_runs_on_its_opened_in_tier_and_a_dropped_one_on_the_accounts(
    slack: SlackHTTP, fake_slack: FakeSlack, seeded: dict[str, int], db: Database
) -> None:
    with db.session() as session:
        session.execute(update(Ticket).where(Ticket.id == "102").values(sla_tier="legacy"))
        session.execute(update(Ticket).where(Ticket.id == "103").values(sla_tier="starter"))
    urls = [f"{ZD}/tickets/102", f"{ZD}/tickets/103"]
    assert slack.event(_event(*urls), event_id="EvST").status_code == 200
    [call] = _unfurled(fake_slack)
    dropped, starter = (_text(call["unfurls"][u]) for u in urls)
    # As bot.sla.state judges them (the same rule): Enterprise's 30m, and Starter's own targets.
    assert "(target 30m)" in dropped and "the tier when it was opened" not in dropped
    assert "Starter targets (the tier when it was opened)" in starter


def test_a_crm_owner_id_is_named_not_shown_as_a_bare_number(
    slack: SlackHTTP, fake_slack: FakeSlack, seeded: dict[str, int], db: Database
) -> None:
    with db.session() as session:
        session.execute(update(Account).where(Account.id == seeded["acme"]).values(owner="31234567"))
    assert slack.event(_event(f"{HS}/company/4501", f"{ZD}/tickets/102"), event_id="EvOW").status_code == 200
    [call] = _unfurled(fake_slack)
    company, ticket = (_text(v) for v in call["unfurls"].values())
    assert "*Owner*\\nHubSpot owner 31234567" in company and "*Owner*\\nHubSpot owner 31234567" in ticket
