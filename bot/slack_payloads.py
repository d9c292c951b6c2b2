"""What a payload must look like before any listener sees it (checked in the WSGI guard, after the
signature and before Bolt, and again as tierbot's first Bolt middleware for the console and Socket Mode).

Bolt trusts a signed payload's shape: an interaction with an empty `actions` list made its listener
matching raise IndexError (a 500 with a traceback), a view without a `callback_id` likewise. Slack
never sends those, but a signed request is not proof of a well-formed one (a proxy that rewrites
bodies, a replayed and edited test payload, a bug on either side), so each request type's required
fields are checked here, first, and a request that lacks them is answered and changes nothing.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import BoltResponse

from bot.views.notice import notice_view

UNREADABLE = "tierbot could not read that request, so nothing was changed. Please try again from Slack."
FAILED = "Something went wrong inside tierbot, so nothing was changed. It has been logged; please try again."
# Ids Slack gives are short; anything longer is not Slack's and would only fill logs and columns.
MAX_ID = 255


def _is_str(value: Any, limit: int = MAX_ID) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit


def _user_ok(body: dict[str, Any]) -> bool:
    user = body.get("user")
    return isinstance(user, dict) and _is_str(user.get("id"))


def parse_payload(body: bytes, content_type: str) -> Any:
    """The body as Bolt would read it: a form (an interaction's `payload` field as JSON, a slash
    command's fields as text) or JSON. ValueError when it cannot be read at all."""
    text = body.decode("utf-8")  # UnicodeDecodeError is a ValueError
    if content_type.startswith("application/json") or text.startswith("{") or text.startswith("["):
        return json.loads(text)
    fields = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
    if "payload" in fields:
        return json.loads(fields["payload"])
    return fields


def problem(body: Any) -> str | None:
    """Why `body` is not a payload tierbot can act on, or None when it is."""
    if not isinstance(body, dict) or not body:
        return "not a Slack payload"
    if "ssl_check" in body:  # Slack's certificate check: Bolt answers it itself
        return None
    if "command" in body:
        if not (_is_str(body.get("command")) and _is_str(body.get("user_id"))):
            return "slash command without a command or user"
        if not isinstance(body.get("text", ""), str):
            return "slash command text is not text"
        return None
    kind = body.get("type")
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            return "block action without actions"
        if not all(isinstance(a, dict) and _is_str(a.get("action_id")) for a in actions):
            return "block action without an action id"
        if not all(isinstance(a.get("value", ""), str) for a in actions):
            return "block action value is not text"
        return None if _user_ok(body) else "block action without a user"
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict) or not _is_str(view.get("callback_id")):
            return "view without a callback id"
        if not _is_str(view.get("type")):  # Bolt reads view["type"] while matching listeners
            return "view without a type"
        state = view.get("state", {"values": {}})
        if not isinstance(state, dict) or not isinstance(state.get("values", {}), dict):
            return "view state is not readable"
        return None if _user_ok(body) else "view without a user"
    if kind == "block_suggestion":
        if not (_is_str(body.get("action_id")) and isinstance(body.get("value", ""), str)):
            return "options request without an action id"
        return None if _user_ok(body) else "options request without a user"
    if kind in ("shortcut", "message_action"):
        return None if _is_str(body.get("callback_id")) else "shortcut without a callback id"
    if kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not _is_str(event.get("type")):
            return "event without a type"
        return None
    if kind in ("url_verification", "app_rate_limited"):
        return None
    return "unknown payload type"


def answer_for(body: Any, line: str = UNREADABLE, *, nobody: int = 400) -> BoltResponse:
    """200 with one clear line where a person is waiting for an answer; `nobody` where nobody is."""
    if isinstance(body, dict):
        if "command" in body or body.get("type") == "block_actions":
            text = json.dumps({"response_type": "ephemeral", "text": line})
            return BoltResponse(status=200, body=text, headers={"content-type": "application/json"})
        if body.get("type") == "view_submission":
            # Pushed over the form, so closing it returns to what was typed.
            answer = {"response_action": "push", "view": notice_view(line)}
            return BoltResponse(
                status=200, body=json.dumps(answer), headers={"content-type": "application/json"}
            )
        if body.get("type") == "block_suggestion":
            return BoltResponse(
                status=200, body='{"options":[]}', headers={"content-type": "application/json"}
            )
    return BoltResponse(
        status=nobody, body='{"error":"malformed payload"}', headers={"content-type": "application/json"}
    )


def answer_for_failure(body: Any) -> BoltResponse:
    """What a person sees when a listener raised: the same shapes as a refusal, saying FAILED."""
    return answer_for(body, FAILED, nobody=500)
