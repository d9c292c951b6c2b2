"""Signed Slack requests sent over real HTTP to a running tierbot, the way Slack sends them."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "test-signing-secret-0123456789"


def raw_request(url: str, head: bytes, body: bytes = b"", timeout: float = 10) -> tuple[int, bytes]:
    """Send bytes as they are (httpx sends no Content-Length it does not mean) and read the answer's head.

    Send no more than the server will read: a server that closes with bytes unread resets the
    connection, and the reset can discard its answer before it is read.
    """
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(head + body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return int(answer.split(b" ", 2)[1]), answer


def sign(body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature or ""}


@dataclass
class SlackHTTP:
    """Sends slash commands, interactions and events as Slack would, signed, over HTTP."""

    base_url: str
    response_url: str
    secret: str = SIGNING_SECRET
    team_id: str = "T1"
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))

    def post(
        self,
        body: str,
        content_type: str,
        headers: dict[str, str] | None = None,
        signed: bool = True,
        timestamp: int | None = None,
    ) -> httpx.Response:
        h = {"Content-Type": content_type}
        if signed:
            h.update(sign(body, self.secret, timestamp))
        h.update(headers or {})
        return self.client.post(self.base_url + "/slack/events", content=body.encode(), headers=h)

    def form(self, fields: dict[str, str], **kw: Any) -> httpx.Response:
        return self.post(urlencode(fields), "application/x-www-form-urlencoded", **kw)

    def command(
        self, command: str, text: str = "", user_id: str = "U1", channel_id: str = "C1", **kw: Any
    ) -> httpx.Response:
        return self.form(
            {
                "token": "legacy",
                "team_id": self.team_id,
                "team_domain": "acme",
                "channel_id": channel_id,
                "channel_name": "support",
                "user_id": user_id,
                "user_name": user_id.lower(),
                "command": command,
                "text": text,
                "api_app_id": "A1",
                "response_url": self.response_url,
                "trigger_id": f"trig-{time.monotonic_ns()}",
            },
            **kw,
        )

    def interaction(self, payload: dict[str, Any], **kw: Any) -> httpx.Response:
        payload.setdefault("team", {"id": self.team_id, "domain": "acme"})
        payload.setdefault("api_app_id", "A1")
        payload.setdefault("token", "legacy")
        return self.form({"payload": json.dumps(payload)}, **kw)

    def block_action(
        self,
        action_id: str,
        value: str = "",
        user_id: str = "U1",
        channel_id: str = "C1",
        message_ts: str = "1700000000.000001",
        block_id: str = "b",
        view: dict[str, Any] | None = None,
        **kw: Any,
    ) -> httpx.Response:
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user_id, "username": user_id.lower(), "team_id": self.team_id},
            "trigger_id": f"trig-{time.monotonic_ns()}",
            "response_url": self.response_url,
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": block_id,
                    "value": value,
                    "action_ts": str(time.time()),
                }
            ],
        }
        if view is not None:
            payload["view"] = view
            payload["container"] = {"type": "view", "view_id": view.get("id", "V1")}
        else:
            payload["channel"] = {"id": channel_id, "name": "support"}
            payload["container"] = {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel_id,
                "is_ephemeral": True,
            }
        return self.interaction(payload, **kw)

    def view_submission(self, view: dict[str, Any], user_id: str = "U1", **kw: Any) -> httpx.Response:
        payload = {
            "type": "view_submission",
            "user": {"id": user_id, "username": user_id.lower(), "team_id": self.team_id},
            "trigger_id": f"trig-{time.monotonic_ns()}",
            "view": view,
        }
        return self.interaction(payload, **kw)

    def event(
        self, event: dict[str, Any], event_id: str = "Ev1", retry_num: int | None = None, **kw: Any
    ) -> httpx.Response:
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": self.team_id,
                "api_app_id": "A1",
                "type": "event_callback",
                "event": event,
                "event_id": event_id,
                "event_time": int(time.time()),
            }
        )
        headers = (
            {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"} if retry_num else {}
        )
        return self.post(body, "application/json", headers=headers, **kw)
