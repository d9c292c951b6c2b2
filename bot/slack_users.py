"""Who a person named by e-mail is in Slack: `users.lookupByEmail`, cached per process.

Accounts name their owner, and tickets their assignee, as the CRM or helpdesk does: usually an
e-mail address. The scheduled jobs that mention or DM them (`sla-alerts`, `escalations`,
`health-alerts`, `quarterly-reviews`) share this one cache: a team's few dozen agents and owners are
looked up once, then every lookup is a hit for `CACHE_SECONDS`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.slack_api import DELIVERY_TIMEOUT, web_client

log = logging.getLogger(__name__)

CACHE_SECONDS = 6 * 3600.0  # a Slack user's e-mail rarely changes; a miss is asked again after this


def is_user_id(who: str) -> bool:
    """A Slack user id as we store it (U…/W…, upper-case letters and digits)."""
    return who[:1] in ("U", "W") and who.isalnum() and who.isupper()


class SlackUsers:
    """E-mail -> Slack user id through `users.lookupByEmail`, cached per process (hits and misses;
    a failed call is not cached, so the next lookup asks again)."""

    def __init__(self, client: Callable[[Settings], WebClient] | None = None) -> None:
        self._client = client or (lambda settings: web_client(settings, timeout=DELIVERY_TIMEOUT))
        self._cache: dict[str, tuple[str | None, float]] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()

    def user_id(self, settings: Settings, who: str | None) -> str | None:
        """The Slack user `who` is: a user id as it is, an e-mail looked up; None when unknown (a
        name, an address Slack does not know, Slack unreachable, or no bot token: the console)."""
        if not who:
            return None
        if "@" not in who:
            return who if is_user_id(who) else None
        email = who.strip().casefold()
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(email)
        if hit is not None and hit[1] > now:
            return hit[0]
        if settings.slack_bot_token is None:
            return None  # console mode: nobody to ask
        try:
            answer = self._client(settings).users_lookupByEmail(email=email)
            found: str | None = str((answer.get("user") or {}).get("id") or "") or None
        except SlackApiError as exc:
            if exc.response.get("error") != "users_not_found":
                log.warning("users.lookupByEmail failed (%s)", exc.response.get("error"))
                return None  # not cached: Slack may answer next time
            found = None
        except Exception as exc:  # timeout, connection: the caller falls back to the e-mail
            log.warning("users.lookupByEmail failed (%s)", exc.__class__.__name__)
            return None
        with self._lock:
            self._cache[email] = (found, now + CACHE_SECONDS)
        return found


USERS = SlackUsers()  # the process's one cache, shared by every job
