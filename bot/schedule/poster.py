"""Posting through the ledger: claim, post, record; retries with backoff; dry runs that only print.

The scheduler's WebClient has no built-in retry handlers: a retry hidden inside the client would be
invisible to the ledger, and retrying a dropped connection can post twice. Every retry is a ledger
transition instead (pending with `next_attempt_at`), honouring Slack's Retry-After on 429.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.schedule import ledger
from bot.schedule.ledger import Claimed, DeliveryKey
from bot.slack_api import DELIVERY_TIMEOUT, web_client
from storage.db import Database
from storage.models.schedule import GIVEN_UP, PENDING, SENT, SKIPPED

log = logging.getLogger(__name__)

METADATA_EVENT = "tierbot_delivery"
# Errors that another attempt cannot fix; everything else (429, 5xx, timeouts) is retried.
CHANNEL_GONE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
FATAL = CHANNEL_GONE | frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        "invalid_blocks",
        "invalid_arguments",
        "msg_too_long",
        "no_text",
        "user_not_found",
        "cannot_dm_bot",
        "user_disabled",
        "restricted_action",
    }
)

Payload = dict[str, Any]
# Turns a claimed row's stored spec into the payload to send, at send time (None: nothing to send any
# more); for jobs whose message must show the state of things when it is posted, not when queued.
Prepare = Callable[[Claimed], Claimed | None]


def delivery_client(settings: Settings) -> WebClient:
    return web_client(settings, timeout=DELIVERY_TIMEOUT)


def payload(message: dict[str, Any], *, channel: str | None = None, user: str | None = None) -> Payload:
    """What a delivery posts: a message to a channel, or to a user's DM (opened when posted)."""
    if (channel is None) == (user is None):
        raise ValueError("a delivery goes to a channel or to a user")
    return {"channel": channel, "user": user, "message": message}


def upload_payload(content: bytes, *, channel: str, filename: str, title: str, comment: str) -> Payload:
    """A file shared in a channel (`files_upload_v2`: upload URL, bytes, complete with the channel).
    The bytes travel base64 in the ledger row, so a retry uploads the same file. A file carries no
    message metadata: after a crash mid-upload the recovering leader cannot see it was shared and
    uploads again (at most once more)."""
    return {
        "channel": channel,
        "user": None,
        "message": {"text": comment},
        "file": {"filename": filename, "title": title, "content_b64": base64.b64encode(content).decode()},
    }


@dataclass(frozen=True)
class Outcome:
    key: DeliveryKey
    status: str  # sent | pending | given_up | skipped | exists | dry_run
    error: str | None = None
    channel: str | None = None
    ts: str | None = None
    payload: Payload | None = None

    @property
    def channel_gone(self) -> bool:
        return self.status == GIVEN_UP and (self.error or "").split(":", 1)[0] in CHANNEL_GONE


@dataclass(frozen=True)
class Attempt:
    ok: bool
    channel: str | None = None
    ts: str | None = None
    error: str | None = None
    retryable: bool = False
    retry_after: float | None = None


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    for key, value in dict(headers).items():
        if str(key).lower() == name:
            return value[0] if isinstance(value, list) else str(value)
    return None


def _attempt_error(exc: Exception) -> Attempt:
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        error = str(exc.response.get("error") or f"http_{status}")
        if status == 429 or error == "ratelimited":
            raw = _header(exc.response.headers, "retry-after")
            retry_after = float(raw) if raw and raw.replace(".", "", 1).isdigit() else None
            return Attempt(False, error=f"{error}: HTTP {status}", retryable=True, retry_after=retry_after)
        if status >= 500:
            return Attempt(False, error=f"{error}: HTTP {status}", retryable=True)
        return Attempt(False, error=error, retryable=error not in FATAL)
    # Timeouts and dropped connections: Slack may or may not have the message. The ledger retries,
    # and the retry looks in the channel's history for this delivery's key before posting again.
    return Attempt(False, error=f"{ledger.UNCERTAIN}{exc.__class__.__name__}: {exc}"[:500], retryable=True)


class SlackSender:
    """One attempt at a payload; never retries by itself."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def _channel(self, data: Payload) -> str:
        if data.get("channel"):
            return str(data["channel"])
        opened = self.client.conversations_open(users=str(data["user"]))
        return str(opened["channel"]["id"])

    def send(self, key: DeliveryKey, data: Payload) -> Attempt:
        try:
            channel = self._channel(data)
            if data.get("file"):
                return self._upload(channel, data)
            message = dict(data["message"])
            if data.get("ts"):
                # An edit of a message already posted (`ts`): doing it twice is harmless.
                edited = self.client.chat_update(channel=channel, ts=str(data["ts"]), **message)
                return Attempt(True, channel=str(edited.get("channel") or channel), ts=edited.get("ts"))
            # The delivery key travels with the message so a recovering leader can find it in history.
            metadata = {"event_type": METADATA_EVENT, "event_payload": {"delivery": str(key)}}
            answer = self.client.chat_postMessage(channel=channel, metadata=metadata, **message)
            return Attempt(True, channel=str(answer.get("channel") or channel), ts=answer.get("ts"))
        except Exception as exc:
            return _attempt_error(exc)

    def _upload(self, channel: str, data: Payload) -> Attempt:
        file = data["file"]
        answer = self.client.files_upload_v2(
            channel=channel,
            content=base64.b64decode(file["content_b64"]),
            filename=file["filename"],
            title=file["title"],
            initial_comment=data["message"].get("text") or None,
        )
        shared = answer.get("file") or {}
        return Attempt(True, channel=channel, ts=str(shared.get("id") or "") or None)

    def find_posted(self, key: DeliveryKey, data: Payload, since: datetime) -> str | None:
        """The ts of a message already carrying this delivery key, or None (also when unknowable)."""
        if data.get("ts"):
            return None  # an edit: nothing new to find, and doing it again is harmless
        try:
            channel = self._channel(data)
            history = self.client.conversations_history(
                channel=channel, oldest=f"{since.timestamp() - 60:.6f}", limit=200, include_all_metadata=True
            )
        except Exception as exc:  # no history scope, or Slack away: fall back to at-least-once
            log.warning("%s: cannot check history before re-posting (%s)", key, exc.__class__.__name__)
            return None
        for message in history.get("messages") or []:
            meta = message.get("metadata") or {}
            if meta.get("event_type") == METADATA_EVENT and (meta.get("event_payload") or {}).get(
                "delivery"
            ) == str(key):
                return str(message.get("ts"))
        return None


class Poster(Protocol):
    dry_run: bool

    def deliver(self, key: DeliveryKey, render: Callable[[], Payload]) -> Outcome: ...

    def skip(self, key: DeliveryKey, reason: str) -> Outcome: ...

    def retry_due(
        self, job: str, prepare: Prepare | None = None, key: DeliveryKey | None = None
    ) -> list[Outcome]: ...

    def claim(self, session: Session, key: DeliveryKey, data: Payload) -> Claimed | None: ...

    def claim_many(self, session: Session, items: list[tuple[DeliveryKey, Payload]]) -> list[Claimed]: ...

    def post(self, claimed: Claimed) -> Outcome: ...


@dataclass
class LedgerPoster:
    """Posts each (job, target, period) once, whatever the number of runs or processes."""

    db: Database
    clock: Callable[[], datetime]
    sender: SlackSender
    holder: str
    dry_run: bool = False
    max_attempts: int = ledger.MAX_ATTEMPTS

    def _now(self) -> datetime:
        return self.clock()

    def deliver(self, key: DeliveryKey, render: Callable[[], Payload]) -> Outcome:
        db = self.db
        existing = ledger.status_of(db, key)
        if existing is not None:
            return Outcome(key, "exists")
        data = render()  # rendered once; every retry posts this same message
        claimed = ledger.claim_new(db, key, data, self._now(), self.holder)
        if claimed is None:
            return Outcome(key, "exists")
        return self.post(claimed)

    def skip(self, key: DeliveryKey, reason: str) -> Outcome:
        recorded = ledger.record_skipped(self.db, key, reason, self._now())
        return Outcome(key, SKIPPED if recorded else "exists", error=reason)

    def retry_due(
        self, job: str, prepare: Prepare | None = None, key: DeliveryKey | None = None
    ) -> list[Outcome]:
        """Post this job's due rows (`key`: only that one, even before its `next_attempt_at`)."""
        outcomes = []
        for claimed in ledger.claim_due(self.db, job, self._now(), self.holder, key=key):
            ready = prepare(claimed) if prepare is not None else claimed
            if ready is None:
                reason = "nothing to post any more (what it reported is gone)"
                ledger.mark_given_up(self.db, claimed.id, self.holder, reason, self._now())
                outcomes.append(Outcome(claimed.key, GIVEN_UP, error=reason, payload=claimed.payload))
                continue
            outcomes.append(self.post(ready))
        return outcomes

    def claim(self, session: Session, key: DeliveryKey, data: Payload) -> Claimed | None:
        """Claim within the caller's transaction; post with `post` once it has committed."""
        return ledger.claim_in(session, key, data, self._now(), self.holder)

    def claim_many(self, session: Session, items: list[tuple[DeliveryKey, Payload]]) -> list[Claimed]:
        """`claim` for many deliveries in one statement (alert ticks hand out up to 2,000)."""
        return ledger.claim_many_in(session, items, self._now(), self.holder)

    def post(self, claimed: Claimed) -> Outcome:
        db, key, data = self.db, claimed.key, claimed.payload
        if claimed.recovered:
            ts = self.sender.find_posted(key, data, claimed.created_at)
            if ts is not None:
                log.info("%s: found already posted (ts %s) while recovering; not posting again", key, ts)
                ledger.mark_sent(db, claimed.id, self.holder, data.get("channel"), ts, self._now())
                return Outcome(key, SENT, channel=data.get("channel"), ts=ts, payload=data)
        attempt = self.sender.send(key, data)
        now = self._now()
        if attempt.ok:
            ledger.mark_sent(db, claimed.id, self.holder, attempt.channel, attempt.ts, now)
            log.info("posted %s (ts %s)", key, attempt.ts)
            return Outcome(key, SENT, channel=attempt.channel, ts=attempt.ts, payload=data)
        error = attempt.error or "unknown error"
        if not attempt.retryable:
            reason = f"{error}: Slack refused the post; not retried"
            ledger.mark_given_up(db, claimed.id, self.holder, reason, now)
            log.error("gave up on %s: %s", key, reason)
            return Outcome(key, GIVEN_UP, error=reason, payload=data)
        if claimed.attempts >= self.max_attempts:
            reason = f"gave up after {claimed.attempts} attempts; last error {error}"
            ledger.mark_given_up(db, claimed.id, self.holder, reason, now)
            log.error("gave up on %s: %s", key, reason)
            return Outcome(key, GIVEN_UP, error=reason, payload=data)
        delay = ledger.backoff(claimed.attempts)
        if attempt.retry_after is not None:
            delay = timedelta(seconds=max(1.0, attempt.retry_after))
        ledger.mark_retry(db, claimed.id, self.holder, error, now + delay, now)
        log.warning(
            "%s: %s; attempt %d, next in %ss", key, error, claimed.attempts, int(delay.total_seconds())
        )
        return Outcome(key, PENDING, error=error, payload=data)


@dataclass
class DryRunPoster:
    """Renders what would be posted and records nothing (console mode, `--dry-run`)."""

    dry_run: bool = True
    outcomes: list[Outcome] = field(default_factory=list)

    def deliver(self, key: DeliveryKey, render: Callable[[], Payload]) -> Outcome:
        outcome = Outcome(key, "dry_run", payload=render())
        self.outcomes.append(outcome)
        return outcome

    def skip(self, key: DeliveryKey, reason: str) -> Outcome:
        outcome = Outcome(key, SKIPPED, error=reason)
        self.outcomes.append(outcome)
        return outcome

    def retry_due(
        self, job: str, prepare: Prepare | None = None, key: DeliveryKey | None = None
    ) -> list[Outcome]:
        return []

    def claim(self, session: Session, key: DeliveryKey, data: Payload) -> Claimed | None:
        return Claimed(-1, key, data, 0, datetime.now(UTC), recovered=False)

    def claim_many(self, session: Session, items: list[tuple[DeliveryKey, Payload]]) -> list[Claimed]:
        return [Claimed(-1, key, data, 0, datetime.now(UTC), recovered=False) for key, data in items]

    def post(self, claimed: Claimed) -> Outcome:
        outcome = Outcome(claimed.key, "dry_run", payload=claimed.payload)
        self.outcomes.append(outcome)
        return outcome
