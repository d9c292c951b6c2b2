"""The baseline: a Bolt app that only acks /tier, with the same Bolt settings as tierbot."""

from __future__ import annotations

import os
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient


def app() -> Any:
    def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token="xoxb-bench")

    bolt = App(
        client=WebClient(),
        authorize=authorize,
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        process_before_response=True,
        token_verification_enabled=False,
    )

    @bolt.command("/tier")
    def tier(ack: Ack) -> None:
        ack(response_type="ephemeral", text="ok")

    return SlackRequestHandler(bolt)
