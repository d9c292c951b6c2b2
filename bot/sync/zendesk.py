"""Zendesk: the cursor-based incremental ticket export (with metric sets), the time-based incremental
organization export, and `update_many` for writing the tier field on organizations.

Tickets: `GET /api/v2/incremental/tickets/cursor.json?start_time=...` then `?cursor=after_cursor`
until `end_of_stream`; the after_cursor is stored with each page and the next run continues from it.
Organizations: `GET /api/v2/incremental/organizations.json?start_time=...`, following the stored
`end_time` until `end_of_stream`. The export endpoints allow about 10 requests a minute: a 429's
Retry-After is honoured (see bot.sync.http for the bound).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bot.sync.errors import AuthFailed, SourceFailed
from bot.sync.http import HTTP_TIMEOUT, Retry, describe, json_of, retry_after, send
from bot.sync.types import JobResult, Page, RemoteOrg, RemoteTicket

NAME = "zendesk"
SETTING = "ZENDESK_EMAIL / ZENDESK_API_TOKEN"
BATCH = 100  # update_many takes at most 100 organizations
JOB_POLLS = 120


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def check(response: httpx.Response) -> None:
    if response.status_code == 401:
        raise AuthFailed(NAME, SETTING, "401 Couldn't authenticate you")
    if response.status_code == 429:
        raise Retry("429 too many requests", retry_after(response) or 10.0)
    try:
        body = response.json()
        detail = (
            str(body.get("error") or body.get("description") or "")[:200] if isinstance(body, dict) else ""
        )
    except ValueError:
        detail = ""
    raise SourceFailed(NAME, f"{describe(response)}: {detail}".rstrip(": "))


def _ticket(item: dict[str, Any], metrics: dict[Any, dict[str, Any]]) -> RemoteTicket | None:
    created, updated = parse_time(item.get("created_at")), parse_time(item.get("updated_at"))
    if item.get("id") is None or created is None:
        return None
    metric = metrics.get(item["id"], {})
    reply = (metric.get("reply_time_in_minutes") or {}).get("calendar")
    org = item.get("organization_id")
    assignee = item.get("assignee_id")
    return RemoteTicket(
        id=str(item["id"]),
        organization_id=str(org) if org is not None else None,
        status=str(item.get("status") or ""),
        priority=item.get("priority"),
        subject=str(item.get("subject") or ""),
        assignee_id=str(assignee) if assignee is not None else None,
        created_at=created,
        updated_at=updated or created,
        first_reply_minutes=int(reply) if isinstance(reply, int | float) else None,
        solved_at=parse_time(metric.get("solved_at")),
        replies=int(metric.get("replies") or 0),
    )


class ZendeskClient:
    name = NAME

    def __init__(
        self,
        base_url: str,
        email: str,
        api_token: str,
        *,
        poll_seconds: float = 1.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        basic = base64.b64encode(f"{email}/token:{api_token}".encode()).decode()
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Basic {basic}"},
            timeout=HTTP_TIMEOUT,
            transport=transport,
        )
        self.poll_seconds = poll_seconds
        self.requests = 0

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        self.requests += 1
        response = send(self.http, NAME, method, path, check=check, **kwargs)
        body = json_of(NAME, response)
        if not isinstance(body, dict):
            raise SourceFailed(NAME, f"{describe(response)} with an unexpected body")
        return body

    def ticket_pages(self, cursor: str | None, full: bool) -> Iterator[Page]:
        params: dict[str, Any] = {"include": "metric_sets"}
        if cursor and not full:
            params["cursor"] = cursor
        else:
            params["start_time"] = 0
        while True:
            body = self._call("GET", "/api/v2/incremental/tickets/cursor.json", params=params)
            metrics = {m.get("ticket_id"): m for m in body.get("metric_sets") or ()}
            tickets = [t for item in body.get("tickets") or () if (t := _ticket(item, metrics)) is not None]
            after = body.get("after_cursor") or params.get("cursor") or ""
            yield Page(tickets, str(after))
            if body.get("end_of_stream", True) or not body.get("after_cursor"):
                return
            params = {"include": "metric_sets", "cursor": body["after_cursor"]}

    def organization_pages(self, cursor: str | None, full: bool) -> Iterator[Page]:
        start = int(cursor) if cursor and not full else 0
        # The export refuses a start_time within the last minute.
        start = min(start, int((datetime.now(UTC) - timedelta(minutes=1)).timestamp()))
        while True:
            body = self._call("GET", "/api/v2/incremental/organizations.json", params={"start_time": start})
            orgs = [
                RemoteOrg(
                    id=str(o["id"]),
                    name=str(o.get("name") or ""),
                    external_id=str(o["external_id"]) if o.get("external_id") else None,
                    domains=tuple(str(d).lower() for d in o.get("domain_names") or ()),
                    fields=o.get("organization_fields") or {},
                )
                for o in body.get("organizations") or ()
                if o.get("id") is not None
            ]
            end = int(body.get("end_time") or start)
            yield Page(orgs, str(end))
            if body.get("end_of_stream", True) or (end <= start and not orgs):
                return
            start = end

    def set_organization_field(self, field: str, values: Sequence[tuple[str, str]]) -> JobResult:
        """Write `field` on up to 100 organizations with one update_many job, and wait for it."""
        if len(values) > BATCH:
            raise ValueError(f"update_many takes at most {BATCH} organizations")
        payload = {"organizations": [{"id": int(i), "organization_fields": {field: v}} for i, v in values]}
        job = (
            self._call("PUT", "/api/v2/organizations/update_many.json", json=payload).get("job_status") or {}
        )
        for _ in range(JOB_POLLS):
            if job.get("status") in ("completed", "failed", "killed"):
                break
            time.sleep(self.poll_seconds)
            job = self._call("GET", f"/api/v2/job_statuses/{job.get('id')}.json").get("job_status") or {}
        else:
            raise SourceFailed(
                NAME, f"update_many job {job.get('id')} still {job.get('status')} after polling"
            )
        done: list[str] = []
        failed: list[tuple[str, str]] = []
        for result in job.get("results") or ():
            rid = str(result.get("id"))
            if result.get("success") or result.get("status") in ("Updated", "Created"):
                done.append(rid)
            else:
                failed.append((rid, str(result.get("details") or result.get("error") or "failed")[:200]))
        if job.get("status") != "completed" and not failed:
            failed = [(i, str(job.get("message") or job.get("status"))) for i, _ in values if i not in done]
        return JobResult(done, failed)
