"""Text PostgreSQL cannot store (NUL, lone surrogates) typed into any decision field is dropped at input,
so the draft saves and the record commits on both backends; and a database error that is not a lost
connection is reported as what it is (issue 9, item 8)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DataError

from bot.decisions import service
from bot.views import decision_ids as ids
from storage.db import Database
from storage.models.decisions import Decision, DecisionDraft, DecisionEvent
from tests.decisions.flow import (
    COMPARE_ANSWERS,
    FRAME_ANSWERS,
    View,
    commit_answers,
    open_modal,
    posted,
    record_flow,
    sent_view,
    submit,
    wait_for,
)
from tests.fake_slack import FakeSlack, validate_view
from tests.slack_http import SlackHTTP

HOSTILE = "\x00"  # what PostgreSQL refuses in text ("invalid byte sequence for encoding UTF8: 0x00")
SURROGATE = "\ud800"  # unpaired: cannot even be encoded as UTF-8


def _text_blocks(view: View) -> list[str]:
    return [
        b["block_id"]
        for b in view["blocks"]
        if b["type"] == "input" and b["element"]["type"] == "plain_text_input"
    ]


def _poisoned(view: View, answers: dict[str, Any]) -> dict[str, Any]:
    """Every text field of the step, each with a NUL in the middle (and one with a lone surrogate)."""
    out = dict(answers)
    for n, block in enumerate(_text_blocks(view)):
        element = next(b["element"] for b in view["blocks"] if b.get("block_id") == block)
        typed = out.get(block) or element.get("initial_value") or f"field {n}"
        out[block] = typed[:3] + HOSTILE + typed[3:] + (SURROGATE if n == 0 else "")
    return out


def _unstorable(value: Any) -> bool:
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else value
    return HOSTILE in text or "\\u0000" in text or any("\ud800" <= c <= "\udfff" for c in text)


def test_nul_in_every_text_field_of_the_three_steps_is_dropped_and_the_record_commits(
    slack: SlackHTTP, fake_slack: FakeSlack, db: Database
) -> None:
    frame = open_modal(slack, fake_slack)
    assert len(_text_blocks(frame)) >= 3
    body = submit(slack, frame, _poisoned(frame, FRAME_ANSWERS))
    assert body["response_action"] == "update", body
    compare = body["view"]
    assert len(_text_blocks(compare)) >= 10
    body = submit(slack, compare, _poisoned(compare, COMPARE_ANSWERS))
    assert body["response_action"] == "update", body
    commit = body["view"]
    assert len(_text_blocks(commit)) >= 6
    # The steps shown again carry the text as kept, not the NUL back into Slack.
    assert not _unstorable(compare) and not _unstorable(commit)
    assert submit(slack, commit, _poisoned(commit, commit_answers())) == {"response_action": "clear"}

    message = posted(fake_slack)
    assert message["blocks"][0]["text"]["text"].startswith("D-1 · Sho")
    with db.session() as session:
        decision = session.scalars(select(Decision)).one()
        columns = {c.key: getattr(decision, c.key) for c in Decision.__mapper__.column_attrs}
        assert [name for name, value in columns.items() if _unstorable(value)] == []
        # What was typed around the NUL is kept whole.
        assert decision.title == FRAME_ANSWERS[ids.TITLE]
        assert decision.rationale == commit_answers()[ids.RATIONALE]
        drafts = session.scalars(select(DecisionDraft)).all()
        assert drafts and not any(_unstorable(d.data) for d in drafts)


def test_nul_in_a_reverse_reason_is_dropped(slack: SlackHTTP, fake_slack: FakeSlack, db: Database) -> None:
    decision_id = record_flow(slack, fake_slack, user="U1")
    slack.block_action(ids.REVERSE, str(decision_id), user_id="U1", channel_id="CDECISIONS")
    form = sent_view(fake_slack, "views.open")
    assert submit(slack, form, {ids.REASON: f"Cost{HOSTILE} up 22%{SURROGATE}"}, view_id="VR1") == {
        "response_action": "clear"
    }
    with db.session() as session:
        event = session.scalars(select(DecisionEvent).where(DecisionEvent.kind == "reversed")).one()
    assert event.detail["reason"] == "Cost up 22%"
    wait_for(fake_slack, "chat.update")


def test_a_refused_value_is_not_called_an_outage(
    slack: SlackHTTP, fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    frame = open_modal(slack, fake_slack)

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        orig = ValueError("invalid byte sequence for encoding UTF8: 0x00")
        raise DataError("UPDATE decision_drafts SET data=%(data)s", {"data": "secret text"}, orig)

    monkeypatch.setattr(service, "save_step", refuse)
    with caplog.at_level(logging.ERROR, logger="handlers._guard"):
        body = submit(slack, frame, FRAME_ANSWERS)
    assert body["response_action"] == "push"
    validate_view(body["view"])
    text = json.dumps(body["view"])
    assert "tierbot could not save that" in text and "cannot reach its database" not in text
    assert "UPDATE" not in text and "secret text" not in text and "0x00" not in text
    assert "DataError" in caplog.text and "step_submitted" in caplog.text
    assert "secret text" not in caplog.text
