"""One HTTP call with the retry policy every client shares.

5xx answers and timeouts are retried by stamina (exponential backoff with jitter, at most ATTEMPTS
tries and TIMEOUT seconds in all); a 429 is retried after the wait the vendor asks for, unless that is
longer than MAX_WAIT, when the sync stops until the next run. Everything else is the client's to
judge. Errors carry the method, path and status, never headers, query strings or bodies we sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import httpx
import stamina

from bot.sync.errors import RateLimitStop, SourceFailed

log = logging.getLogger(__name__)

ATTEMPTS = 5
TIMEOUT = 120.0  # seconds for all tries of one call
MAX_WAIT = 60.0  # a vendor asking for longer than this is asked again at the next run
HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class Retry(Exception):
    """Try the call again, after `wait` seconds when the vendor said how long."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


def _backoff(exc: Exception) -> bool | float:
    if not isinstance(exc, Retry):
        return False
    return exc.wait if exc.wait is not None else True


def describe(response: httpx.Response) -> str:
    return f"{response.request.method} {response.request.url.path} answered {response.status_code}"


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def send(
    client: httpx.Client,
    source: str,
    method: str,
    url: str,
    *,
    check: Callable[[httpx.Response], None],
    **kwargs: Any,
) -> httpx.Response:
    """The response of a successful call; `check` raises Retry or a SyncError for the vendor's errors
    that are not 5xx. 2xx answers are returned without calling it."""
    last: Retry | None = None
    try:
        for attempt in stamina.retry_context(on=_backoff, attempts=ATTEMPTS, timeout=TIMEOUT, wait_max=30.0):
            with attempt:
                try:
                    response = client.request(method, url, **kwargs)
                except httpx.TimeoutException as exc:
                    last = Retry(f"{method} {httpx.URL(url).path} timed out ({exc.__class__.__name__})")
                    raise last from None
                except httpx.TransportError as exc:
                    last = Retry(f"{method} {httpx.URL(url).path} failed ({exc.__class__.__name__})")
                    raise last from None
                if response.is_success:
                    return response
                if response.status_code >= 500:
                    last = Retry(describe(response))
                    raise last
                try:
                    check(response)
                except Retry as exc:
                    if exc.wait is not None and exc.wait > MAX_WAIT:
                        raise RateLimitStop(source, f"{exc.reason}; asked to wait {exc.wait:.0f} s") from None
                    log.warning("%s: %s; retrying", source, exc.reason)
                    last = exc
                    raise
                raise SourceFailed(source, f"{describe(response)}: unexpected answer")
    except Retry as exc:
        raise SourceFailed(source, f"gave up after {ATTEMPTS} tries: {exc.reason}") from None
    raise SourceFailed(source, f"gave up: {last.reason if last else 'no answer'}")  # pragma: no cover


def json_of(source: str, response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise SourceFailed(source, f"{describe(response)} with a body that is not JSON") from None
