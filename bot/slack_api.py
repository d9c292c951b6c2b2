"""The one place a Slack Web API client is made: request-time listeners, the schedule and the console.

Every client fails fast and never retries by itself: a retry handler would sleep out a 429's
Retry-After (or back off on 5xx) inside a request Slack is waiting on, and a retried post after a
dropped connection can post twice. Scheduled posts get their retries from the delivery ledger.
"""

from __future__ import annotations

from slack_sdk import WebClient

from bot.config import Settings

# What the local console authenticates as when no Slack workspace is configured.
CONSOLE_TOKEN = "xoxb-local-console"
# Seconds: a trigger_id dies after 3 s, and Slack wants its answer by then.
REQUEST_TIMEOUT = 3
# Seconds: the scheduler is not inside anybody's request and can wait longer for a slow Slack.
DELIVERY_TIMEOUT = 10


def bot_token(settings: Settings) -> str:
    return settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else CONSOLE_TOKEN


def web_client(
    settings: Settings,
    *,
    timeout: int = REQUEST_TIMEOUT,
    token: str | None = None,
    base_url: str | None = None,
) -> WebClient:
    return WebClient(
        token=token or bot_token(settings),
        base_url=base_url or settings.slack_api_url,
        timeout=timeout,
        retry_handlers=[],
    )
