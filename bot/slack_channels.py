"""Whether a Slack conversation is shared with another organization, from `conversations.info`, kept
per channel for a while: link unfurls show a customer's tier, owner and breaches, which must not reach
that customer in a Slack Connect channel.

Slack's conversation object says it with booleans: `is_ext_shared` is a channel shared with a remote
organization (Slack Connect; `is_shared` is then true too), `is_pending_ext_shared` one about to be
(shared channels carry their history to the new organization), `is_org_shared` one shared across the
workspaces of one Enterprise Grid org (internal). `is_shared` alone, with neither kind, is taken as
external: a wrong guess costs an unfurl, the other way a leak.

Answers are kept `TTL` per channel, at most `MAX_CHANNELS` of them (least recently used first out): a
channel that becomes shared may still be unfurled in for that long. Failures are not kept: the next
link asks again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

TTL = timedelta(minutes=10)
MAX_CHANNELS = 2048  # a few hundred bytes each


class SharingUnknown(Exception):
    """Slack did not say (an error code, 429/5xx, a timeout); `reason` is safe to log."""

    def __init__(self, channel: str, reason: str) -> None:
        super().__init__(f"{channel}: {reason}")
        self.reason = reason


def is_external(channel: Mapping[str, Any]) -> bool:
    """Whether people of another organization can read this conversation (or soon will)."""
    if channel.get("is_ext_shared") or channel.get("is_pending_ext_shared"):
        return True
    return bool(channel.get("is_shared")) and not channel.get("is_org_shared")


class ChannelSharing:
    """`conversations.info`'s sharing flags per channel, kept briefly. Thread-safe; one per process."""

    def __init__(self, ttl: timedelta = TTL, size: int = MAX_CHANNELS) -> None:
        self.ttl = ttl
        self.size = size
        self._known: OrderedDict[str, tuple[bool, datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def is_external(self, client: WebClient, channel: str, now: datetime) -> bool:
        """Raises `SharingUnknown` when Slack does not answer with a conversation."""
        with self._lock:
            known = self._known.get(channel)
            if known is not None and now - known[1] < self.ttl:
                self._known.move_to_end(channel)
                return known[0]
        try:
            response = client.conversations_info(channel=channel)
        except SlackApiError as exc:
            error = exc.response.get("error") or "unknown_error"
            raise SharingUnknown(channel, f"{error} (HTTP {exc.response.status_code})") from exc
        except (SlackClientError, OSError) as exc:  # a timeout or a refused connection
            raise SharingUnknown(channel, type(exc).__name__) from exc
        info = response.get("channel")
        if not isinstance(info, dict):
            raise SharingUnknown(channel, "no channel in the answer")
        external = is_external(info)
        with self._lock:
            self._known[channel] = (external, now)
            self._known.move_to_end(channel)
            while len(self._known) > self.size:
                self._known.popitem(last=False)
        return external

    def forget(self, channel: str | None = None) -> None:
        with self._lock:
            if channel is None:
                self._known.clear()
            else:
                self._known.pop(channel, None)
