"""What tierbot answers when no other listener matched: one clear line, never Bolt's developer hint.

Registered last (see `handlers/__init__.py`): Bolt tries listeners in order, so these only see what
nothing else took. Without them Bolt answers 404 `unhandled request`, which Slack shows a person as
"failed with the error dispatch_failed", and logs a code snippet meant for the app's developer.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.views.format import escape_mrkdwn
from bot.views.notice import notice_view
from handlers._guard import guarded

log = logging.getLogger(__name__)

ANYTHING = re.compile(".*")
UNKNOWN_BUTTON = "That button is no longer something tierbot knows how to do; nothing was changed."
UNKNOWN_FORM = "tierbot no longer knows this form, so nothing was saved. Please start again."


def unknown_command(ack: Ack, command: dict[str, Any]) -> None:
    name = escape_mrkdwn(str(command.get("command", ""))[:40])
    ack(response_type="ephemeral", text=f"tierbot has no such command: `{name}`. Try `/tier help`.")


def ack_only(ack: Ack) -> None:
    ack()


def unknown_action(action: dict[str, Any], respond: Respond) -> None:
    log.info("no listener for action %s", str(action.get("action_id", ""))[:80])
    respond(response_type="ephemeral", replace_original=False, text=UNKNOWN_BUTTON)


def unknown_view(ack: Ack, view: dict[str, Any]) -> None:
    log.info("no listener for view %s", str(view.get("callback_id", ""))[:80])
    ack(response_action="push", view=notice_view(UNKNOWN_FORM))


def unknown_options(ack: Ack) -> None:
    ack(options=[])


def register(app: App) -> None:
    app.command(ANYTHING)(unknown_command)
    app.action(ANYTHING)(ack=ack_only, lazy=[guarded(unknown_action)])
    app.view(ANYTHING)(unknown_view)
    app.options(ANYTHING)(unknown_options)
