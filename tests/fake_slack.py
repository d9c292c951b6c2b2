"""A local fake of Slack's Web API, served over real HTTP for `WebClient(base_url=...)`.

It validates every Block Kit payload with slack_sdk's models and answers `invalid_blocks` the way
Slack does, so a test that posts a bad message fails. It can answer 429 or 5xx on demand, or answer
late (`delay`: the call takes effect, the answer comes after the client gave up, like a Slack timeout),
keeps what was posted for `conversations.history` (with message metadata), and it also receives
`response_url` posts (`/response/<id>`).
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None


@dataclass
class Failure:
    status: int
    retry_after: int | None = None
    error: str | None = None


def eventually(predicate: Any, timeout: float = 5.0) -> Any:
    """Wait for work a lazy listener does after the HTTP response (posting, responding)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)


class BlockKitError(AssertionError):
    pass


def validate_blocks(blocks: Any, *, surface: str = "message") -> None:
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not isinstance(blocks, list):
        raise BlockKitError("blocks must be a list")
    limit = 50 if surface == "message" else 100
    if len(blocks) > limit:
        raise BlockKitError(f"{len(blocks)} blocks > {limit}")
    for raw in blocks:
        parsed = Block.parse(raw)
        if parsed is None:
            raise BlockKitError(f"unparseable block {raw!r}")
        parsed.validate_json()
        if parsed.to_dict() != raw and raw.get("type") in (
            "section",
            "header",
            "actions",
            "context",
            "divider",
        ):
            # Unknown keys are silently dropped by the model; Slack would refuse them.
            extra = set(raw) - set(parsed.to_dict())
            if extra - {"block_id"}:
                raise BlockKitError(f"unknown keys {extra} in {raw.get('type')} block")


def validate_view(view: Any) -> None:
    if isinstance(view, str):
        view = json.loads(view)
    View(**view).validate_json()
    validate_blocks(view.get("blocks", []), surface="view")


def validate_message(message: dict[str, Any]) -> None:
    """What Slack checks on a message payload (ack body, chat.postMessage, response_url)."""
    if "blocks" in message and message["blocks"] is not None:
        validate_blocks(message["blocks"])
    text = message.get("text")
    if text is not None and len(text) > 40000:
        raise BlockKitError("text over 40,000 characters")


@dataclass
class FakeSlack:
    host: str = "127.0.0.1"
    calls: list[Call] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    not_in_channel: set[str] = field(default_factory=set)
    user_tz: dict[str, str] = field(default_factory=dict)
    # files_upload_v2: file id -> {"filename", "length", "data" (bytes, once POSTed), "title", "channel"}
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    users_by_email: dict[str, str] = field(default_factory=dict)  # e-mail -> user id (users.lookupByEmail)
    # conversations.members: who is in each channel, set by tests. A channel not listed is one Slack
    # will not show the bot (channel_not_found). A page holds at most `members_page` ids, whatever
    # `limit` asks (Slack may return fewer), so tests can make a list span pages.
    members: dict[str, list[str]] = field(default_factory=dict)
    members_page: int = 200
    delays: dict[str, list[float]] = field(default_factory=dict)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # conversations.info: fields of each channel's object over the defaults (an internal public channel
    # the bot is in), e.g. {"CEXT": {"is_shared": True, "is_ext_shared": True}}; set by tests. A channel
    # listed with None answers channel_not_found.
    channels: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    # chat.unfurl calls Slack accepted: {"target": {channel, ts} or {unfurl_id, source}, "unfurls": {...}}
    unfurled: list[dict[str, Any]] = field(default_factory=list)
    _ts: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    # -- control -------------------------------------------------------------------------------------
    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length)
                if self.path.startswith("/upload/"):  # the URL files.getUploadURLExternal hands out
                    text = fake._upload(self.path, data)
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain; charset=utf-8")
                    self.send_header("Content-Length", str(len(text)))
                    self.end_headers()
                    self.wfile.write(text.encode())
                    return
                raw = data.decode()
                status, headers, body = fake._handle(self.path, self.headers, raw)
                payload = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(payload)))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # a delayed answer whose caller timed out and left, as with the real Slack

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://{self.host}:{self._server.server_address[1]}/api/"

    def response_url(self, name: str = "r1") -> str:
        assert self._server is not None
        return f"http://{self.host}:{self._server.server_address[1]}/response/{name}"

    def fail(
        self,
        method: str,
        status: int,
        times: int = 1,
        retry_after: int | None = None,
        error: str | None = None,
    ) -> None:
        """The next `times` calls of `method` answer `status` (429 with Retry-After, 500, ...).

        `method` "response_url" makes posts to response URLs fail instead."""
        with self._lock:
            self.failures.setdefault(method, []).extend(
                Failure(status, retry_after, error) for _ in range(times)
            )

    def delay(self, method: str, seconds: float, times: int = 1) -> None:
        """The next `times` calls of `method` take effect at once but are answered `seconds` later."""
        with self._lock:
            self.delays.setdefault(method, []).extend(seconds for _ in range(times))

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.responses.clear()
            self.failures.clear()
            self.not_in_channel.clear()
            self.files.clear()
            self.users_by_email.clear()
            self.members.clear()
            self.members_page = 200
            self.delays.clear()
            self.history.clear()
            self.channels.clear()
            self.unfurled.clear()

    # -- protocol ------------------------------------------------------------------------------------
    def _handle(self, path: str, headers: Any, raw: str) -> tuple[int, dict[str, str], dict[str, Any]]:
        if path.startswith("/response/"):
            message = json.loads(raw) if raw else {}
            with self._lock:
                queue = self.failures.get("response_url")
                failure = queue.pop(0) if queue else None
                if failure is not None:
                    return failure.status, {}, {"ok": False, "error": failure.error or "server_error"}
                self.responses.append(message)
            try:
                validate_message(message)
            except Exception as exc:
                return 400, {}, {"ok": False, "error": "invalid_blocks", "detail": str(exc)}
            return 200, {}, {"ok": True}

        method = path.removeprefix("/api/").split("?")[0]
        ctype = headers.get("Content-Type", "")
        if "json" in ctype:
            params: dict[str, Any] = json.loads(raw) if raw else {}
        else:
            params = {k: v[0] for k, v in parse_qs(raw).items()}
        auth = headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth else params.get("token")
        with self._lock:
            self.calls.append(Call(method, params, token))
            queue = self.failures.get(method)
            failure = queue.pop(0) if queue else None
            late = self.delays.get(method)
            delay = late.pop(0) if late else 0.0
        if failure is not None:
            extra = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            if failure.status == 200:
                return 200, {}, {"ok": False, "error": failure.error or "fatal_error"}
            return failure.status, extra, {"ok": False, "error": failure.error or "ratelimited"}
        if not token or not token.startswith("xox"):
            return 200, {}, {"ok": False, "error": "not_authed"}
        answer = self._answer(method, params)
        time.sleep(delay)  # done, but answered late: the caller may have given up by now
        return 200, {}, answer

    def _upload(self, path: str, data: bytes) -> str:
        """Step 2 of files_upload_v2: the bytes POSTed to the upload URL. Slack answers `OK - <size>`."""
        file_id = path.rstrip("/").rsplit("/", 1)[-1]
        with self._lock:
            if file_id in self.files:
                self.files[file_id]["data"] = data
        return f"OK - {len(data)}"

    def _files(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        """files.getUploadURLExternal and files.completeUploadExternal, with Slack's response shapes."""
        if method == "files.getUploadURLExternal":
            if not p.get("filename") or not str(p.get("length", "")).isdigit():
                return {"ok": False, "error": "invalid_arguments"}
            file_id = f"F{next(self._ts):010d}"
            with self._lock:
                self.files[file_id] = {"filename": p["filename"], "length": int(p["length"]), "data": None}
            base = self.url.removesuffix("/api/")
            return {"ok": True, "upload_url": f"{base}/upload/v1/{file_id}", "file_id": file_id}
        items = p.get("files")
        items = json.loads(items) if isinstance(items, str) else items
        if not items:
            return {"ok": False, "error": "invalid_arguments"}
        out = []
        for item in items:
            known = self.files.get(item.get("id", ""))
            if known is None or known["data"] is None:
                return {"ok": False, "error": "file_not_found"}
            known.update(
                title=item.get("title"), channel=p.get("channel_id"), comment=p.get("initial_comment")
            )
            name = known["filename"]
            out.append(
                {
                    "id": item["id"],
                    "created": 1700000000,
                    "timestamp": 1700000000,
                    "name": name,
                    "title": item.get("title") or name,
                    "mimetype": "image/png" if name.endswith(".png") else "application/octet-stream",
                    "filetype": name.rsplit(".", 1)[-1] if "." in name else "binary",
                    "user": "UBOT",
                    "size": len(known["data"]),
                    "url_private": f"https://files.slack.com/files-pri/T1-{item['id']}/{name}",
                    "permalink": f"https://acme.slack.com/files/UBOT/{item['id']}/{name}",
                }
            )
        return {"ok": True, "files": out}

    def _answer(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        try:
            if "blocks" in p:
                validate_blocks(p["blocks"])
            if "view" in p:
                validate_view(p["view"])
        except Exception as exc:
            return {"ok": False, "error": "invalid_blocks", "errors": [str(exc)]}
        if method in ("chat.postMessage", "chat.postEphemeral", "chat.update", "chat.scheduleMessage"):
            channel = p.get("channel", "")
            if channel in self.not_in_channel:
                return {"ok": False, "error": "not_in_channel"}
            if not channel:
                return {"ok": False, "error": "channel_not_found"}
            if not p.get("text") and not p.get("blocks"):
                return {"ok": False, "error": "no_text"}
            ts = f"1700000000.{next(self._ts):06d}"
            if method == "chat.postEphemeral":
                return {"ok": True, "message_ts": ts}
            if method == "chat.postMessage":
                metadata = p.get("metadata")
                metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
                with self._lock:
                    self.history.setdefault(channel, []).append(
                        {"ts": ts, "text": p.get("text"), "metadata": metadata}
                    )
            return {"ok": True, "channel": channel, "ts": p.get("ts", ts), "message": {"text": p.get("text")}}
        if method in ("views.open", "views.push", "views.update", "views.publish"):
            view = p.get("view")
            view = json.loads(view) if isinstance(view, str) else view
            return {"ok": True, "view": {"id": f"V{next(self._ts):08d}", **(view or {})}}
        if method == "chat.unfurl":
            return self._unfurl(p)
        if method == "conversations.history":
            with self._lock:
                messages = list(reversed(self.history.get(p.get("channel", ""), [])))
            return {"ok": True, "messages": messages, "has_more": False}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(p.get("users", "U0")).split(",")[0]}}
        if method == "conversations.info":
            return self._info(p)
        if method == "conversations.members":
            return self._members(p)
        if method == "users.info":
            user = p.get("user", "")
            return {
                "ok": True,
                "user": {"id": user, "name": user.lower(), "tz": self.user_tz.get(user, "UTC")},
            }
        if method in ("files.getUploadURLExternal", "files.completeUploadExternal"):
            return self._files(method, p)
        if method == "users.lookupByEmail":
            # Slack's shape: {"ok": true, "user": {id, team_id, name, profile: {email, ...}, ...}};
            # an unknown address answers {"ok": false, "error": "users_not_found"} with HTTP 200.
            email = str(p.get("email", ""))
            found = self.users_by_email.get(email.casefold())
            if found is None:
                return {"ok": False, "error": "users_not_found"}
            return {
                "ok": True,
                "user": {"id": found, "team_id": "T1", "name": found.lower(), "profile": {"email": email}},
            }
        if method == "auth.test":
            return {"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1"}
        return {"ok": True}

    def _unfurl(self, p: dict[str, Any]) -> dict[str, Any]:
        """chat.unfurl with Slack's argument rules and error codes: `channel` with `ts`, or `unfurl_id`
        with `source` (composer | conversations_history); `unfurls` a JSON map of URL -> {"blocks": [...]}
        (or attachment fields), every blocks list validated."""
        if p.get("unfurl_id") or p.get("source"):
            if not p.get("unfurl_id") or p.get("source") not in ("composer", "conversations_history"):
                return {"ok": False, "error": "invalid_arguments"}
            target = {"unfurl_id": p["unfurl_id"], "source": p["source"]}
        elif not p.get("channel"):
            return {"ok": False, "error": "missing_channel"}
        elif not p.get("ts"):
            return {"ok": False, "error": "missing_ts"}
        else:
            target = {"channel": p["channel"], "ts": p["ts"]}
        unfurls = p.get("unfurls")
        if unfurls is None:
            return {"ok": False, "error": "missing_unfurls"}
        try:
            unfurls = json.loads(unfurls) if isinstance(unfurls, str) else unfurls
        except ValueError:
            return {"ok": False, "error": "invalid_unfurls_format"}
        if not isinstance(unfurls, dict) or not all(
            isinstance(k, str) and isinstance(v, dict) for k, v in unfurls.items()
        ):
            return {"ok": False, "error": "invalid_unfurls_format"}
        try:
            for value in unfurls.values():
                if "blocks" in value:
                    validate_blocks(value["blocks"])
        except Exception as exc:
            return {"ok": False, "error": "invalid_blocks", "errors": [str(exc)]}
        with self._lock:
            self.unfurled.append({"target": target, "unfurls": unfurls})
        return {"ok": True}

    def _info(self, p: dict[str, Any]) -> dict[str, Any]:
        """conversations.info with Slack's conversation object: the sharing flags are all there, false
        unless a test set them (`channels`). `is_shared` is any sharing; `is_ext_shared` with another
        organization (Slack Connect; `is_shared` too); `is_org_shared` across the workspaces of one
        Enterprise Grid org; `is_pending_ext_shared` an external share awaiting approval."""
        channel = str(p.get("channel", ""))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        with self._lock:
            if channel in self.channels and self.channels[channel] is None:
                return {"ok": False, "error": "channel_not_found"}
            extra = dict(self.channels.get(channel) or {})
        obj: dict[str, Any] = {
            "id": channel,
            "name": channel.lower(),
            "is_channel": channel.startswith("C"),
            "is_group": False,
            "is_im": channel.startswith("D"),
            "is_mpim": False,
            "is_private": not channel.startswith("C"),
            "is_archived": False,
            "is_general": False,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": "T1",
            "shared_team_ids": ["T1"],
            "pending_connected_team_ids": [],
            "is_member": channel not in self.not_in_channel,
        }
        obj.update(extra)
        return {"ok": True, "channel": obj}

    def _members(self, p: dict[str, Any]) -> dict[str, Any]:
        """A page of conversations.members, with an opaque cursor like Slack's ("" on the last page)."""
        channel = p.get("channel", "")
        if channel not in self.members:
            return {"ok": False, "error": "channel_not_found"}
        limit = int(p.get("limit") or 100)
        if not 0 < limit < 1000:
            return {"ok": False, "error": "invalid_limit"}
        try:
            start = (
                int(base64.b64decode(p["cursor"]).decode().removeprefix("user:")) if p.get("cursor") else 0
            )
        except ValueError:
            return {"ok": False, "error": "invalid_cursor"}
        end = start + min(limit, self.members_page)
        ids = self.members[channel]
        following = base64.b64encode(f"user:{end}".encode()).decode() if end < len(ids) else ""
        return {"ok": True, "members": ids[start:end], "response_metadata": {"next_cursor": following}}
