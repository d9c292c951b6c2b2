"""App Home over signed HTTP: opening the tab publishes due reviews and decisions in force."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.decisions.lifecycle import reverse
from bot.decisions.store import create_decision
from bot.services import Services
from bot.views import decision_ids as ids
from storage.db import Database
from tests.decisions.factory import valid_input
from tests.decisions.flow import sent_view, today
from tests.fake_slack import FakeSlack, validate_view
from tests.slack_http import SlackHTTP


def _seed(services: Services) -> None:
    now = services.clock()
    day = today()
    with services.db.session() as session:
        for title, review in (("Due one", 0), ("Later one", 20), ("Reversed one", 5)):
            data = valid_input(
                title=title, horizon=day + timedelta(days=90), review_date=day + timedelta(days=review)
            )
            decision = create_decision(session, data, actor="U1", now=now, today=day)
            if title == "Reversed one":
                session.flush()
                reverse(
                    session,
                    services.settings.admin_user_ids,
                    decision.id,
                    actor="UOWNER",
                    reason="x",
                    now=now,
                )


def test_home_lists_due_and_in_force_decisions(
    slack: SlackHTTP, fake_slack: FakeSlack, services: Services
) -> None:
    _seed(services)
    response = slack.event({"type": "app_home_opened", "user": "U7", "channel": "D7", "tab": "home"})
    assert response.status_code == 200
    call = fake_slack.calls_to("views.publish")[-1]
    assert call.params["user_id"] == "U7"
    view = sent_view(fake_slack, "views.publish")
    validate_view(view)
    text = json.dumps(view["blocks"], ensure_ascii=False)
    assert "*Due for review* · 1" in text and "*In force* · 2" in text
    assert text.index("Due one") < text.index("*In force*") < text.index("Later one")
    assert "Reversed one" not in text
    buttons = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == [ids.OPEN]


def test_home_log_a_decision_opens_the_modal(slack: SlackHTTP, fake_slack: FakeSlack) -> None:
    slack.event({"type": "app_home_opened", "user": "U7", "channel": "D7", "tab": "home"})
    home = {**sent_view(fake_slack, "views.publish"), "id": "VHOME"}
    assert "No decisions yet" in json.dumps(home["blocks"])
    assert slack.block_action(ids.OPEN, "", user_id="U7", view=home).status_code == 200
    frame = sent_view(fake_slack, "views.open")
    assert frame["callback_id"] == ids.FRAME
    owner = next(b for b in frame["blocks"] if b.get("block_id") == ids.OWNER)
    assert owner["element"]["initial_user"] == "U7"


def test_the_messages_tab_publishes_nothing(slack: SlackHTTP, fake_slack: FakeSlack, db: Database) -> None:
    slack.event({"type": "app_home_opened", "user": "U7", "channel": "D7", "tab": "messages"})
    assert fake_slack.calls_to("views.publish") == []


def test_view_button_in_home_shows_the_record(
    slack: SlackHTTP, fake_slack: FakeSlack, services: Services
) -> None:
    _seed(services)
    slack.event({"type": "app_home_opened", "user": "U7", "channel": "D7", "tab": "home"})
    home = {**sent_view(fake_slack, "views.publish"), "id": "VHOME"}
    view_buttons = [
        b["accessory"] for b in home["blocks"] if b.get("accessory", {}).get("action_id") == ids.VIEW
    ]
    assert slack.block_action(ids.VIEW, view_buttons[0]["value"], user_id="U7", view=home).status_code == 200
    record = sent_view(fake_slack, "views.open")
    validate_view(record)
    assert record["title"]["text"] == "Decision D-1"
    assert "Due one" in json.dumps(record["blocks"])
    # Someone who cannot change it is told so in a modal (there is no message to answer in).
    assert slack.block_action(ids.REVERSE, "1", user_id="U7", view=home).status_code == 200
    notice = sent_view(fake_slack, "views.open")
    assert "Only the owner (<@UOWNER>)" in json.dumps(notice["blocks"])
