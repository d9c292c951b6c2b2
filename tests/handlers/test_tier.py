"""/tier over signed HTTP: lookups, choices, sharing, overrides, hostile input and failures."""

from __future__ import annotations

import json
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
