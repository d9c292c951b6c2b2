"""The local console: type `/tier acme` and get what Slack would show, from the same Bolt app.

Commands are signed like Slack signs them and dispatched to the real app; whatever the app sends to
Slack's Web API or to a response_url lands in a small local sink and is printed.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.main import create_app
from bot.services import Services
from bot.slack.render import render_blocks, render_message
from bot.slack_api import CONSOLE_TOKEN, web_client

USER_ID = "UCONSOLE"
CHANNEL_ID = "CCONSOLE"
Printer = Callable[[str], None]


class ConsoleSink:
    """Receives Web API calls and response_url posts from the app and prints them."""

    def __init__(self, show: Printer, buttons: list[dict[str, Any]]) -> None:
        self.show = show
        self.buttons = buttons
        self._ts = itertools.count(1)
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if "json" in self.headers.get("Content-Type", ""):
                    params = json.loads(raw or "{}")
                else:
                    params = {k: v[0] for k, v in parse_qs(raw).items()}
                answer = sink.receive(self.path, params)
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def receive(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        if path.startswith("/response"):
            self.show(render_message(params, self.buttons))
            return {"ok": True}
        method = path.removeprefix("/api/")
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        if method.startswith("views."):
            view = params.get("view")
            view = json.loads(view) if isinstance(view, str) else (view or {})
            if method != "views.publish":
                title = (view.get("title") or {}).get("text", "")
                self.show(f"[modal] {title}\n" + render_blocks(view.get("blocks", [])))
                self.show("(Modals are filled in Slack; here they are shown read-only.)")
            return {"ok": True, "view": {"id": f"VCONSOLE{next(self._ts)}", **view}}
        if method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
            blocks = params.get("blocks")
            message = {
                "text": params.get("text", ""),
                "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks,
            }
            self.show(f"[posted to {params.get('channel')}]\n" + render_message(message, self.buttons))
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message_ts": ts}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(params.get("users", USER_ID))}}
        if method == "conversations.info":
            return {"ok": True, "channel": {"id": params.get("channel"), "is_member": True}}
        return {"ok": True}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Console:
    def __init__(self, services: Services, show: Printer = print) -> None:
        self.secret = secrets.token_hex(16)
        self.show = show
        self.buttons: list[dict[str, Any]] = []
        self.sink = ConsoleSink(show, self.buttons)
        client = web_client(services.settings, token=CONSOLE_TOKEN, base_url=self.sink.base + "/api/")
        self.app: App = create_app(services, signing_secret=self.secret, client=client)
        self.verifier = SignatureVerifier(self.secret)

    def _dispatch(self, body: str, content_type: str) -> dict[str, Any] | None:
        ts = str(int(time.time()))
        headers: dict[str, str | Sequence[str]] = {
            "content-type": [content_type],
            "x-slack-request-timestamp": [ts],
            "x-slack-signature": [self.verifier.generate_signature(timestamp=ts, body=body) or ""],
        }
        response = self.app.dispatch(BoltRequest(body=body, headers=headers))
        if response.status == 404:
            return {"text": "tierbot has no such command or button here."}
        if response.status != 200:
            return {"text": f"(the app answered HTTP {response.status})"}
        if not response.body:
            return None
        try:
            parsed: dict[str, Any] = json.loads(response.body)
        except ValueError:
            return {"text": response.body}
        return parsed

    def command(self, line: str) -> None:
        name, _, text = line.strip().partition(" ")
        fields = {
            "command": name,
            "text": text,
            "user_id": USER_ID,
            "user_name": "console",
            "channel_id": CHANNEL_ID,
            "channel_name": "console",
            "team_id": "TCONSOLE",
            "response_url": self.sink.base + "/response",
            "trigger_id": f"console-{time.monotonic_ns()}",
            "api_app_id": "ACONSOLE",
        }
        self._print(self._dispatch(urlencode(fields), "application/x-www-form-urlencoded"))

    def press(self, number: int) -> None:
        if not 1 <= number <= len(self.buttons):
            self.show(f"No button [{number}].")
            return
        button = self.buttons[number - 1]
        payload = {
            "type": "block_actions",
            "user": {"id": USER_ID, "username": "console"},
            "team": {"id": "TCONSOLE"},
            "api_app_id": "ACONSOLE",
            "channel": {"id": CHANNEL_ID},
            "response_url": self.sink.base + "/response",
            "trigger_id": f"console-{time.monotonic_ns()}",
            "container": {"type": "message", "message_ts": f"{time.time():.6f}", "channel_id": CHANNEL_ID},
            "actions": [
                {
                    "type": "button",
                    "action_id": button["action_id"],
                    "block_id": button.get("block_id", ""),
                    "value": button.get("value", ""),
                    "action_ts": str(time.time()),
                }
            ],
        }
        self._print(
            self._dispatch(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")
        )
        time.sleep(0.2)  # lazy listeners post to the sink from their own thread

    def _print(self, message: dict[str, Any] | None) -> None:
        if message:
            self.buttons.clear()
            self.show(render_message(message, self.buttons))

    def loop(self, read: Callable[[str], str] = input) -> None:
        self.show("tierbot console: type a slash command like `/tier acme` or `/tier help`,")
        self.show("a button's number to press it, or `quit`.")
        while True:
            try:
                line = read("tierbot> ").strip()
            except (EOFError, KeyboardInterrupt):
                self.show("")
                break
            if line in ("quit", "exit", ":q"):
                break
            if not line:
                continue
            if line.isdigit():
                self.press(int(line))
            elif line.startswith("/"):
                self.command(line)
            else:
                self.command("/tier " + line)
        self.sink.close()
