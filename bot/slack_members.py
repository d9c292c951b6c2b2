"""Who is in a Slack channel, from `conversations.members`, for permission checks made while Slack waits.

The lookup runs inside a request Slack wants answered within 3 s, so it has a budget (`BUDGET_SECONDS`
for every call of one request together) and each page is asked with what is left of it: a Slack that
hangs costs the budget, not a 500. Member lists are kept per channel for `TTL` (a second command within
a minute asks Slack nothing), and pagination stops as soon as the user is found; the pages read so far
are kept with their cursor, so the next lookup in that channel goes on from there instead of starting
again, and even a channel too big to read within one budget gets read over a few commands.

Failures are of two kinds: Slack will not list the channel to the bot (`MembersHidden`: a private
channel it is not in, a deleted one, a missing scope), which is an answer; and Slack could not answer
now (`MembersUnavailable`: 429, 5xx, a timeout), after which nothing may be decided.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

TTL = timedelta(seconds=60)  # a member who just left keeps access this long at most
BUDGET_SECONDS = 2.0  # of Slack's 3 s for the whole answer: the rest is ours (database, rendering)
PAGE_LIMIT = 999  # Slack takes a `limit` under 1000; the fewer pages, the fewer round trips
MAX_CHANNELS = 512  # lists kept; the least recently used goes first
# Errors that say "not now" rather than "not you": the request may succeed if tried again later.
TRANSIENT_ERRORS = frozenset(
    {
        "ratelimited",
        "fetch_members_failed",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
    }
)


class MembersUnavailable(Exception):
    """Slack could not say in time (rate limited, failing, slow): decide nothing."""


class MembersHidden(Exception):
    """Slack will not list this channel's members to the bot; `error` is its code."""

    def __init__(self, channel: str, error: str) -> None:
        super().__init__(f"{channel}: {error}")
        self.error = error


@dataclass(frozen=True)
class _Known:
    members: frozenset[str]
    cursor: str | None  # where the next page starts; None: the list is complete
    fetched_at: datetime


def deadline(budget: float = BUDGET_SECONDS) -> float:
    """The `time.monotonic()` by which one request's lookups must be done."""
    return time.monotonic() + budget


class ChannelMembers:
    """Channel member lists, read page by page and kept briefly. Thread-safe; one per running tierbot."""

    def __init__(self, ttl: timedelta = TTL, size: int = MAX_CHANNELS) -> None:
        self.ttl = ttl
        self.size = size
        self._known: OrderedDict[str, _Known] = OrderedDict()
        self._lock = threading.Lock()

    def is_member(self, client: WebClient, channel: str, user: str, now: datetime, until: float) -> bool:
        """Whether `user` is in `channel`, reading only as many pages as it takes, by `until`
        (a `time.monotonic()` deadline). Raises `MembersHidden` or `MembersUnavailable`."""
        with self._lock:
            known = self._known.get(channel)
            if known is not None and now - known.fetched_at >= self.ttl:
                known = None
        if known is not None and (user in known.members or known.cursor is None):
            return user in known.members
        members = set(known.members) if known else set()
        cursor = known.cursor if known else ""
        fetched_at = known.fetched_at if known else now
        try:
            while cursor is not None and user not in members:
                page, cursor = self._page(client, channel, cursor, until)
                members.update(page)
        finally:
            # What was read is kept even when the budget ran out, so the next lookup goes on from there.
            self._keep(channel, _Known(frozenset(members), cursor, fetched_at))
        return user in members

    def forget(self, channel: str | None = None) -> None:
        with self._lock:
            if channel is None:
                self._known.clear()
            else:
                self._known.pop(channel, None)

    def _keep(self, channel: str, known: _Known) -> None:
        with self._lock:
            self._known[channel] = known
            self._known.move_to_end(channel)
            while len(self._known) > self.size:
                self._known.popitem(last=False)

    def _page(
        self, client: WebClient, channel: str, cursor: str, until: float
    ) -> tuple[list[str], str | None]:
        left = int(until - time.monotonic())  # whole seconds: slack_sdk's timeout is an int
        if left < 1:
            raise MembersUnavailable(f"{channel}: out of time")
        # A client of its own for the time left (the request client waits 3 s, all of Slack's deadline).
        quick = WebClient(token=client.token, base_url=client.base_url, timeout=left, retry_handlers=[])
        try:
            response = quick.conversations_members(channel=channel, limit=PAGE_LIMIT, cursor=cursor or None)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "unknown_error")
            if (
                exc.response.status_code == 429
                or exc.response.status_code >= 500
                or error in TRANSIENT_ERRORS
            ):
                raise MembersUnavailable(f"{channel}: HTTP {exc.response.status_code} {error}") from exc
            raise MembersHidden(channel, error) from exc
        except OSError as exc:  # timeouts and refused connections (urllib's URLError is an OSError)
            raise MembersUnavailable(f"{channel}: {type(exc).__name__}: {exc}") from exc
        members = [str(m) for m in response.get("members") or []]
        following = str((response.get("response_metadata") or {}).get("next_cursor") or "")
        return members, following or None
