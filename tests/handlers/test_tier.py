"""/tier over signed HTTP: lookups, choices, sharing, overrides, hostile input and failures."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest

from bot.services import Services
from bot.views import tier_ids
from storage.db import Database
from tests.conftest import add_account
from tests.fake_slack import FakeSlack, eventually, validate_message
from tests.slack_http import SlackHTTP


def body(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    # Slack reads the body as a message only when it is labelled JSON (the answer is sent pre-serialized).
    assert response.headers["content-type"].startswith("application/json"), response.headers
    message = response.json()
    validate_message(message)
    return message


def texts(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


@pytest.fixture
def accounts(db: Database, services: Services) -> dict[str, int]:
    p = services.policy
    return {
        "acme": add_account(
            db, p, "Acme Corp", 32000, external_id="ACME-001", domain="acme.example", owner="U0ANA"
        ),
        "rockets": add_account(db, p, "Acme Rockets", 3000, usage_criticality="critical"),
        "globex": add_account(db, p, "Globex Corporation", 12000, strategic=True),
        "jp": add_account(db, p, "アクメ株式会社", 14800, external_id="ACME-JP"),
        "sg": add_account(db, p, "Société Générale", 4999.99),
    }


def test_exact_name_gives_the_card_with_reasons_sla_and_entitlements(
    slack: SlackHTTP, accounts: dict[str, int]
) -> None:
    message = body(slack.command("/tier", "acme corp"))
    assert message["response_type"] == "ephemeral"
    assert message["text"] == "Acme Corp is Enterprise tier"
    blob = texts(message)
    assert "ACV $32,000 ≥ $25,000 → Enterprise" in blob
    assert "Named Technical Account Manager" in blob
    assert "Sev 1 · urgent  30m" in blob
    assert "<@U0ANA>" in blob
    assert tier_ids.SHARE in blob


@pytest.mark.parametrize(
    ("query", "name", "tier"),
    [
        ("ACME-001", "Acme Corp", "Enterprise"),
        ("acme.example", "Acme Corp", "Enterprise"),
        ("globx corporation", "Globex Corporation", "Enterprise"),  # typo, strategic lift
        ("corporation globex", "Globex Corporation", "Enterprise"),  # word order
        ("アクメ", "アクメ株式会社", "Professional"),
        ("あくめ", "アクメ株式会社", "Professional"),  # hiragana for katakana
        ("societe generale", "Société Générale", "Starter"),  # accents
        ("acme rockets", "Acme Rockets", "Professional"),  # critical floor
    ],
)
def test_matching_forms(slack: SlackHTTP, accounts: dict[str, int], query: str, name: str, tier: str) -> None:
    assert body(slack.command("/tier", query))["text"] == f"{name} is {tier} tier"


def test_strategic_and_floor_reasons_are_listed(slack: SlackHTTP, accounts: dict[str, int]) -> None:
    assert "strategic: lifted one tier → Enterprise" in texts(body(slack.command("/tier", "globex")))
    assert "usage criticality critical: floor Professional" in texts(
        body(slack.command("/tier", "acme rockets"))
    )


def test_ambiguous_query_lists_choices_and_a_pick_shows_the_card(
    slack: SlackHTTP, accounts: dict[str, int], fake_slack: FakeSlack
) -> None:
    message = body(slack.command("/tier", "acm"))
    assert "Which one?" in texts(message)
    buttons = [b for blk in message["blocks"] if blk["type"] == "actions" for b in blk["elements"]]
    values = {b["value"] for b in buttons}
    assert {str(accounts["acme"]), str(accounts["rockets"])} <= values
    pick = next(b for b in buttons if b["value"] == str(accounts["rockets"]))
    assert slack.block_action(pick["action_id"], pick["value"]).status_code == 200
    assert eventually(lambda: fake_slack.responses)
    assert fake_slack.responses[-1]["text"] == "Acme Rockets is Professional tier"
    assert fake_slack.responses[-1]["replace_original"] is True


def test_no_match_says_so_with_suggestions(slack: SlackHTTP, accounts: dict[str, int]) -> None:
    message = body(slack.command("/tier", "zzzqqq"))
    assert message["text"] == "No account matches zzzqqq"


@pytest.mark.parametrize("text", ["", "   ", "help"])
def test_empty_or_help_gives_usage(slack: SlackHTTP, accounts: dict[str, int], text: str) -> None:
    assert "`/tier ACCOUNT`" in texts(body(slack.command("/tier", text)))


@pytest.mark.parametrize(
    "text",
    [
        "x" * 10_000,
        "<!channel> acme",
        "acme'; DROP TABLE accounts; --",
        "\x00\x07\x1b[31macme\u202e",
        "<@U999|boss> <https://evil.example|click>",
    ],
)
def test_hostile_text_gets_a_clean_answer(
    slack: SlackHTTP, accounts: dict[str, int], db: Database, text: str
) -> None:
    message = body(slack.command("/tier", text))
    blob = texts(message) + message["text"]
    assert "<!channel>" not in blob and "<@U999" not in blob and "<https://evil" not in blob
    assert "Traceback" not in blob
    assert len(message["text"]) <= 3000
    # The table is still there.
    assert body(slack.command("/tier", "ACME-001"))["text"] == "Acme Corp is Enterprise tier"


def test_share_posts_once_in_channel(
    slack: SlackHTTP, accounts: dict[str, int], fake_slack: FakeSlack
) -> None:
    for _ in range(2):  # a double click
        assert slack.block_action(tier_ids.SHARE, str(accounts["acme"]), user_id="U7").status_code == 200
    assert eventually(lambda: [r for r in fake_slack.responses if r.get("response_type") == "in_channel"])
    time.sleep(0.3)  # give a second post the chance to arrive, were there one
    shared = [r for r in fake_slack.responses if r.get("response_type") == "in_channel"]
    assert len(shared) == 1
    assert "Shared by <@U7>" in texts(shared[0])
    assert tier_ids.SHARE not in texts(shared[0])


def test_bad_signature_and_stale_timestamp_are_refused(slack: SlackHTTP, accounts: dict[str, int]) -> None:
    assert slack.command("/tier", "acme", signed=False).status_code == 401
    assert slack.command("/tier", "acme", timestamp=int(time.time()) - 6 * 60).status_code == 401
    forged = SlackHTTP(slack.base_url, slack.response_url, secret="not-the-secret")
    assert forged.command("/tier", "acme").status_code == 401


def test_override_needs_an_admin(slack: SlackHTTP, accounts: dict[str, int]) -> None:
    message = body(slack.command("/tier", "set Acme Rockets to enterprise: renewal", user_id="U1"))
    assert "Only tierbot admins" in texts(message)
    assert body(slack.command("/tier", "acme rockets"))["text"] == "Acme Rockets is Professional tier"


def test_override_set_shows_on_the_card_and_clears(slack: SlackHTTP, accounts: dict[str, int]) -> None:
    message = body(
        slack.command(
            "/tier", "set Acme Rockets to enterprise until 2099-03-31: renewal negotiation", user_id="UADMIN"
        )
    )
    assert "now *Enterprise*" in texts(message)
    card = body(slack.command("/tier", "acme rockets"))
    assert card["text"] == "Acme Rockets is Enterprise tier"
    assert "override to Enterprise by <@UADMIN> until 2099-03-31: renewal negotiation" in texts(card)
    assert "Override cleared" in texts(body(slack.command("/tier", "clear Acme Rockets", user_id="UADMIN")))
    assert body(slack.command("/tier", "acme rockets"))["text"] == "Acme Rockets is Professional tier"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("set Acme Rockets to platinum: x", "is not a tier"),
        ("set Acme Rockets to enterprise", "needs a reason"),
        ("set acm to enterprise: x", "could be"),
        ("set nobody to enterprise: x", "No account matches"),
        ("set Acme Rockets to enterprise until 2001-01-01: x", "already have ended"),
        ("clear Acme Corp", "no active override"),
    ],
)
def test_override_errors_are_explained(
    slack: SlackHTTP, accounts: dict[str, int], text: str, expected: str
) -> None:
    assert expected in texts(body(slack.command("/tier", text, user_id="UADMIN")))


def test_database_down_gets_a_clear_answer(
    slack: SlackHTTP, accounts: dict[str, int], services: Services
) -> None:
    services.db.engine.dispose()
    broken = Database("postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    real = services.db
    services.db = broken
    try:
        services.accounts._current = None  # force a read
        message = body(slack.command("/tier", "acme"))
        assert "cannot reach its database" in message["text"]
    finally:
        services.db = real


def test_share_that_slack_refuses_can_be_pressed_again(
    slack: SlackHTTP, accounts: dict[str, int], fake_slack: FakeSlack
) -> None:
    fake_slack.fail("response_url", 500)
    assert slack.block_action(tier_ids.SHARE, str(accounts["acme"]), user_id="U7").status_code == 200
    ephemeral = eventually(lambda: fake_slack.calls_to("chat.postEphemeral"))
    assert not [r for r in fake_slack.responses if r.get("response_type") == "in_channel"]
    assert len(ephemeral) == 1 and ephemeral[0].params["user"] == "U7"
    assert "Press *Share* again" in ephemeral[0].params["text"]
    assert slack.block_action(tier_ids.SHARE, str(accounts["acme"]), user_id="U7").status_code == 200
    assert (
        len(eventually(lambda: [r for r in fake_slack.responses if r.get("response_type") == "in_channel"]))
        == 1
    )


def test_tier_answers_while_slack_api_is_down(
    slack: SlackHTTP, accounts: dict[str, int], fake_slack: FakeSlack
) -> None:
    for method in ("auth.test", "users.info", "conversations.info"):
        fake_slack.fail(method, 500, times=10)
    fake_slack.fail("auth.test", 429, times=10, retry_after=30)
    assert body(slack.command("/tier", "ACME-001"))["text"] == "Acme Corp is Enterprise tier"
    assert fake_slack.calls_to("auth.test") == []


def test_answers_are_kept_as_ascii_json(services: Services, accounts: dict[str, int]) -> None:
    """One non-ASCII character makes Python store a whole string at 2-4 bytes a character; thousands
    of cached answers per worker would double in size."""
    from handlers.tier import answer_body

    for query in ("acme corp", "アクメ", "société générale", "nothing like it"):
        body_text = answer_body(services, query, "U1")
        assert body_text.isascii(), query
        assert json.loads(body_text)["response_type"] == "ephemeral"


def _override_rows(db: Database, account_id: int) -> int:
    from sqlalchemy import func, select

    from storage.models import TierOverride

    with db.session() as session:
        return int(session.scalar(select(func.count()).where(TierOverride.account_id == account_id)) or 0)


@pytest.mark.parametrize("trigger_id", ["trig-replayed", ""])
def test_replayed_override_adds_no_second_row(
    slack: SlackHTTP, accounts: dict[str, int], db: Database, trigger_id: str
) -> None:
    """The same signed `/tier set` delivered twice within Slack's five-minute window (by trigger_id, or
    without one by user + text + timestamp header) writes one override; both deliveries answer alike."""
    fields = {
        "token": "legacy",
        "team_id": "T1",
        "channel_id": "C1",
        "user_id": "UADMIN",
        "command": "/tier",
        "text": "set Acme Rockets to enterprise: renewal negotiation",
        "response_url": slack.response_url,
        "trigger_id": trigger_id,
    }
    stamp = int(time.time())
    first = body(slack.form(fields, timestamp=stamp))
    again = body(slack.form(fields, timestamp=stamp))
    assert "now *Enterprise*" in texts(first)
    assert texts(again) == texts(first)
    assert _override_rows(db, accounts["rockets"]) == 1
    # A new request (a new trigger, or a later timestamp) is a new override, as before.
    fields["trigger_id"] = trigger_id and "trig-next"
    body(slack.form(fields, timestamp=stamp + 1))
    assert _override_rows(db, accounts["rockets"]) == 2


def test_fuzzy_answer_says_what_was_matched(slack: SlackHTTP, accounts: dict[str, int]) -> None:
    message = body(slack.command("/tier", "globx corp"))
    assert message["text"] == "Globex Corporation is Enterprise tier"
    assert message["blocks"][0]["type"] == "context"
    assert 'Showing Globex Corporation for \\"globx corp\\"' in texts(message)
    # An exact answer needs no such line.
    assert "Showing" not in texts(body(slack.command("/tier", "globex corporation")))


def test_one_plausible_candidate_is_never_a_choice_of_one(slack: SlackHTTP, accounts: dict[str, int]) -> None:
    message = body(slack.command("/tier", "societe generali"))
    assert "Several accounts could be" not in texts(message)
    assert message["text"] == "Société Générale is Starter tier"
    assert "Showing Société Générale for" in texts(message)


def test_a_shared_word_offers_the_choice(
    slack: SlackHTTP, db: Database, services: Services, accounts: dict[str, int]
) -> None:
    """Two names hold 'umbrella' and two domains start with it: the one whose name less its legal form
    is exactly the word (and its domain's first label) must not be picked."""
    corp = add_account(db, services.policy, "Umbrella Corp", 9000, domain="umbrella.com")
    health = add_account(db, services.policy, "Umbrella Health", 9000, domain="umbrellahealth.example")
    message = body(slack.command("/tier", "umbrella"))
    assert "Which one?" in texts(message)
    values = {b["value"] for blk in message["blocks"] if blk["type"] == "actions" for b in blk["elements"]}
    assert values == {str(corp), str(health)}


def test_a_common_word_lists_the_accounts_holding_it(
    slack: SlackHTTP, db: Database, services: Services, accounts: dict[str, int]
) -> None:
    add_account(db, services.policy, "Initrode Corp", 9000)
    message = body(slack.command("/tier", "corp"))
    assert "No account matches" not in texts(message)
    assert "Which one?" in texts(message)
    names = [
        b["text"]["text"] for blk in message["blocks"] if blk["type"] == "actions" for b in blk["elements"]
    ]
    assert names == ["Acme Corp", "Initrode Corp"]  # shortest names first


def test_an_override_does_not_rejudge_an_open_ticket(
    slack: SlackHTTP, services: Services, db: Database, accounts: dict[str, int]
) -> None:
    """README, "Tier changes and open tickets": a ticket keeps the targets of the tier it was opened in;
    the card says so when that is not the account's tier now."""
    from datetime import UTC, datetime, timedelta

    from tests.sla.factories import load, ticket

    now = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday
    services.clock = lambda: now
    load(db, services.policy, [ticket("T-9", "ACME-001", "sev2", "open", now - timedelta(hours=40))])

    def ticket_line(text: str) -> str:
        card = body(slack.command("/tier", "acme corp"))
        assert card["text"] == text
        found = re.search(r"`T-9`[^\"]*", texts(card))
        assert found is not None
        return found.group(0)

    before = ticket_line("Acme Corp is Enterprise tier")
    assert before.endswith("first response 39h over")  # Enterprise sev2: 1h, round the clock
    assert "now *Starter*" in texts(
        body(slack.command("/tier", "set acme corp to starter: contract lapsed", user_id="UADMIN"))
    )
    # The same figure, not Starter's (business hours), and where the target comes from.
    after = ticket_line("Acme Corp is Starter tier")
    assert after == before + " · Enterprise target (tier when opened)"
