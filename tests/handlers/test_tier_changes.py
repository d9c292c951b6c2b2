"""Set override on a tier-change alert: the modal over signed HTTP, refusals as field errors, once only."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.policy.model import Policy
from bot.views import tier_change_ids as ids
from storage.db import Database
from storage.models import Account, TierOverride
from tests.conftest import add_account
from tests.fake_slack import FakeSlack, validate_view
from tests.slack_http import SlackHTTP


def opened(fake_slack: FakeSlack) -> dict[str, Any]:
    view = fake_slack.calls_to("views.open")[-1].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    validate_view(view)
    return dict(view)


def filled(modal: dict[str, Any], tier: str | None, reason: str, until: str | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {
        ids.TIER_BLOCK: {ids.TIER_INPUT: {"type": "static_select", "selected_option": (
            {"text": {"type": "plain_text", "text": tier}, "value": tier} if tier else None)}},
        ids.REASON_BLOCK: {ids.REASON_INPUT: {"type": "plain_text_input", "value": reason}},
        ids.UNTIL_BLOCK: {ids.UNTIL_INPUT: {"type": "datepicker", "selected_date": until}},
    }  # fmt: skip
    return {**modal, "id": "V42", "hash": "h1", "state": {"values": values}}


def overrides(db: Database) -> list[tuple[str, str, str]]:
    with db.session() as session:
        return [(o.tier, o.reason, o.set_by) for o in session.scalars(select(TierOverride))]


def test_set_override_from_an_alert(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, policy: Policy
) -> None:
    acme = add_account(db, policy, "Acme Corp", 10000)  # Professional
    assert slack.block_action(ids.SET_OVERRIDE, str(acme), user_id="UADMIN").status_code == 200
    modal = opened(fake_slack)
    assert modal["callback_id"] == ids.OVERRIDE_MODAL and modal["private_metadata"] == str(acme)
    assert "Acme Corp" in json.dumps(modal) and "now *Professional*" in json.dumps(modal)

    def submit(view: dict[str, Any]) -> dict[str, Any]:
        answer = slack.view_submission(view, user_id="UADMIN")
        assert answer.status_code == 200
        return dict(answer.json())

    assert submit(filled(modal, "enterprise", "   ")) == {
        "response_action": "errors", "errors": {ids.REASON_BLOCK: "An override needs a reason."}}  # fmt: skip
    assert submit(filled(modal, "professional", "pin it"))["errors"] == {
        ids.TIER_BLOCK: "The account is already Professional: choose another tier."}  # fmt: skip
    assert ids.REASON_BLOCK in submit(filled(modal, "enterprise", "x" * 2001))["errors"]
    assert ids.UNTIL_BLOCK in submit(filled(modal, "enterprise", "renewal", until="2001-01-01"))["errors"]
    assert overrides(db) == []  # nothing written by a refusal

    ok = filled(modal, "enterprise", "renewal negotiation", until="2099-03-31")
    first = submit(ok)
    assert first["response_action"] == "update"
    validate_view(first["view"])
    assert "is now *Enterprise* (override)" in json.dumps(first["view"])
    again = submit(ok)  # a double submit or Slack's retry: the same answer, one override
    assert again == first
    assert overrides(db) == [("enterprise", "renewal negotiation", "UADMIN")]
    with db.session() as session:
        assert session.get(Account, acme).tier == "enterprise"  # type: ignore[union-attr]


def test_only_admins_and_only_accounts_that_exist(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, policy: Policy
) -> None:
    acme = add_account(db, policy, "Acme Corp", 10000)
    slack.block_action(ids.SET_OVERRIDE, str(acme), user_id="UNOBODY")
    assert "Only tierbot admins" in json.dumps(opened(fake_slack))
    slack.block_action(ids.SET_OVERRIDE, "999999", user_id="UADMIN")
    assert "no longer exists" in json.dumps(opened(fake_slack))
    slack.block_action(ids.SET_OVERRIDE, str(acme), user_id="UADMIN")
    modal = opened(fake_slack)
    answer = slack.view_submission(filled(modal, "enterprise", "because"), user_id="UNOBODY").json()
    assert answer["response_action"] == "errors" and overrides(db) == []


def test_an_active_override_gets_a_new_last_day_from_the_modal(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database, policy: Policy
) -> None:
    acme = add_account(db, policy, "Acme Corp", 10000)  # Professional
    slack.block_action(ids.SET_OVERRIDE, str(acme), user_id="UADMIN")
    first = filled(opened(fake_slack), "enterprise", "renewal", until="2099-03-31")
    assert slack.view_submission(first, user_id="UADMIN").json()["response_action"] == "update"
    slack.block_action(ids.SET_OVERRIDE, str(acme), user_id="UADMIN")  # a second modal: another view id
    later = {
        **filled(opened(fake_slack), "enterprise", "renewal\x00 slipped", until="2099-06-30"),
        "id": "V43",
    }
    answer = slack.view_submission(later, user_id="UADMIN").json()
    assert answer["response_action"] == "update", answer
    assert overrides(db) == [("enterprise", "renewal", "UADMIN"), ("enterprise", "renewal slipped", "UADMIN")]
    with db.session() as session:
        active = session.scalars(select(TierOverride).where(TierOverride.cleared_at.is_(None))).one()
        assert active.expires_at is not None and active.expires_at.date().isoformat() == "2099-07-01"
