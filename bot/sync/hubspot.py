"""HubSpot CRM v3 companies: the search API for incremental syncs, the list API for full ones.

Incremental: `POST /crm/v3/objects/companies/search` filtered on hs_lastmodifieddate >= the mark,
sorted ascending, paged with `after`. One search query returns at most 10,000 results, so before
`after` would reach that cap the window restarts at the last modification time seen, skipping the
records of that instant already applied (kept in the cursor). If a whole window shares one instant
(a bulk update), that instant is walked by hs_object_id instead. A resume never reuses an `after`
offset: records modified meanwhile move to the end of the order and would shift the offsets.

Full: `GET /crm/v3/objects/companies?limit=100&properties=...&after=...` (an id cursor, stable), and
at its end the mark becomes the time the full run started.

Tier writes: `POST /crm/v3/objects/companies/batch/update` with up to 100 inputs. HubSpot answers 200
(status COMPLETE, every record in `results`) or 207 Multi-Status (the written ones in `results`, the
others in `errors`, each naming its ids in `context.ids`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bot.sync.errors import AuthFailed, BatchRefused, RateLimitStop, SourceFailed
from bot.sync.http import HTTP_TIMEOUT, Retry, describe, json_of, retry_after, send
from bot.sync.types import JobResult, Page, RemoteAccount, Removed

log = logging.getLogger(__name__)

NAME = "hubspot"
SETTING = "HUBSPOT_TOKEN"
SEARCH_CAP = 10_000
PAGE = 100
BATCH = 100  # batch/update takes at most 100 inputs
MODIFIED = "hs_lastmodifieddate"
ID = "hs_object_id"


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def check(response: httpx.Response) -> None:
    """HubSpot's error answers (bodies: {"status": "error", "message", "category" | "errorType"})."""
    body: dict[str, Any] = {}
    try:
        parsed = response.json()
        body = parsed if isinstance(parsed, dict) else {}
    except ValueError:
        pass
    if response.status_code == 401:
        raise AuthFailed(NAME, SETTING, str(body.get("category") or "401 Unauthorized"))
    if response.status_code == 429:
        policy = str(body.get("policyName") or "")
        if policy == "DAILY":
            raise RateLimitStop(NAME, "the daily API limit is reached (429 DAILY); the next run resumes")
        interval = response.headers.get("X-HubSpot-RateLimit-Interval-Milliseconds")
        wait = retry_after(response)
        if wait is None:
            wait = int(interval) / 1000 if interval and interval.isdigit() else 1.0
        raise Retry(f"429 {policy or 'rate limit'}", wait)
    message = str(body.get("message") or "")[:200]
    if 400 <= response.status_code < 500:
        raise BatchRefused(NAME, f"{describe(response)}: {body.get('category', '')} {message}".rstrip())
    raise SourceFailed(NAME, f"{describe(response)}: {body.get('category', '')} {message}".rstrip())


class HubSpotClient:
    name = NAME
    token_setting = SETTING
    removed_every: timedelta | None = timedelta(days=1)  # the archive list is read whole

    def __init__(
        self,
        token: str,
        base_url: str = "https://api.hubapi.com",
        *,
        search_cap: int = SEARCH_CAP,
        page_size: int = PAGE,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=HTTP_TIMEOUT,
            transport=transport,
        )
        self.search_cap = search_cap
        self.page_size = page_size
        self.requests = 0

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        self.requests += 1
        response = send(self.http, NAME, method, path, check=check, **kwargs)
        body = json_of(NAME, response)
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise SourceFailed(NAME, f"{describe(response)} without a results list")
        return body

    def update_property(self, prop: str, values: Sequence[tuple[str, str]]) -> JobResult:
        """Set `prop` on up to 100 companies (company id, value) with one batch update."""
        if len(values) > BATCH:
            raise ValueError(f"batch/update takes at most {BATCH} companies")
        payload = {"inputs": [{"id": i, "properties": {prop: v}} for i, v in values]}
        self.requests += 1
        response = send(
            self.http, NAME, "POST", "/crm/v3/objects/companies/batch/update", check=check, json=payload
        )
        body = json_of(NAME, response)
        if not isinstance(body, dict):
            raise SourceFailed(NAME, f"{describe(response)} with an unexpected body")
        done = {str(r.get("id")) for r in body.get("results") or () if isinstance(r, dict)}
        failed: dict[str, str] = {}
        for error in body.get("errors") or ():
            if not isinstance(error, dict):
                continue
            reason = f"{error.get('category') or 'error'}: {str(error.get('message') or '')[:160]}"
            for rid in (error.get("context") or {}).get("ids") or ():
                if str(rid) not in done:
                    failed[str(rid)] = reason
        for rid, _ in values:  # neither written nor named in an error: not known to be written
            if rid not in done and rid not in failed:
                failed[rid] = f"not in HubSpot's answer ({response.status_code} {body.get('status')})"
        return JobResult([i for i, _ in values if i in done], list(failed.items()))

    @staticmethod
    def _record(item: dict[str, Any]) -> RemoteAccount:
        props = item.get("properties") or {}
        updated = parse_time(props.get(MODIFIED) or item.get("updatedAt"))
        return RemoteAccount(str(item.get("id") or props.get(ID)), updated, props)

    def pages(self, cursor: str | None, full: bool, fields: Sequence[str]) -> Iterator[Page]:
        properties = sorted({*fields, MODIFIED, ID})
        state: dict[str, Any] = json.loads(cursor) if cursor and not full else {}
        if full or "mark" not in state:
            yield from self._list(state if "started" in state else {}, properties)
        else:
            yield from self._search(state, properties)

    def removed(self, now: datetime, marks: Mapping[str, str]) -> Iterator[Removed]:
        """Archived companies (`GET /crm/v3/objects/companies?archived=true`), 100 a page. The search
        API never returns them, and the list cannot be filtered by time: it is read whole, so the
        service reads it on full syncs and at most once per `removed_every` (10,000 archived companies
        are 100 requests: more than an incremental run that finds 1% of 100,000 changed makes)."""
        after: str | None = None
        while True:
            params: dict[str, Any] = {"limit": self.page_size, "archived": "true", "properties": ID}
            if after:
                params["after"] = after
            body = self._call("GET", "/crm/v3/objects/companies", params=params)
            yield Removed(
                [
                    (str(item["id"]), parse_time(item.get("archivedAt")))
                    for item in body["results"]
                    if isinstance(item, dict) and item.get("id") is not None
                ]
            )
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if after is None:
                return

    def _list(self, state: dict[str, Any], properties: list[str]) -> Iterator[Page]:
        started = state.get("started") or _ms(datetime.now(UTC))
        after = state.get("after")
        while True:
            params: dict[str, Any] = {"limit": self.page_size, "properties": ",".join(properties)}
            if after:
                params["after"] = after
            body = self._call("GET", "/crm/v3/objects/companies", params=params)
            records = [self._record(item) for item in body["results"]]
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if after is None:
                # A minute of slack: records written while the full run read are read again.
                yield Page(records, json.dumps({"mark": started - 60_000, "ids": []}))
                return
            yield Page(records, json.dumps({"started": started, "after": after}))

    def _search(self, state: dict[str, Any], properties: list[str]) -> Iterator[Page]:
        mark: int = state["mark"]
        seen: set[str] = set(state.get("ids", ()))
        tie_after: str | None = state.get("tie_after")  # set while one instant is walked by id
        while True:
            window_mark = mark
            if tie_after is not None:
                filters = [
                    {"propertyName": MODIFIED, "operator": "EQ", "value": str(mark)},
                    {"propertyName": ID, "operator": "GT", "value": tie_after},
                ]
                sort = ID
            else:
                filters = [{"propertyName": MODIFIED, "operator": "GTE", "value": str(mark)}]
                sort = MODIFIED
            after: str | None = None
            while True:
                request: dict[str, Any] = {
                    "filterGroups": [{"filters": filters}],
                    "sorts": [{"propertyName": sort, "direction": "ASCENDING"}],
                    "properties": properties,
                    "limit": self.page_size,
                }
                if after is not None:
                    request["after"] = after
                body = self._call("POST", "/crm/v3/objects/companies/search", json=request)
                records = []
                for item in body["results"]:
                    record = self._record(item)
                    if tie_after is not None:
                        tie_after = record.source_id
                    stamp = _ms(record.updated_at) if record.updated_at else mark
                    if stamp > mark:
                        mark, seen = stamp, set()
                    elif record.source_id in seen:
                        continue  # applied before the window moved
                    seen.add(record.source_id)
                    records.append(record)
                after = ((body.get("paging") or {}).get("next") or {}).get("after")
                capped = after is not None and int(after) + self.page_size > self.search_cap
                if capped and tie_after is None and mark == window_mark:
                    # One instant fills a whole window: walk that instant by id from the start.
                    log.info(
                        "hubspot: %s+ companies modified at one instant; walking them by id", self.search_cap
                    )
                    tie_after = "0"
                state = {"mark": mark, "ids": sorted(seen)}
                if tie_after is not None:
                    state["tie_after"] = tie_after
                if after is None and tie_after is not None:
                    # The instant is walked: go on after it.
                    mark, seen, tie_after = mark + 1, set(), None
                    state = {"mark": mark, "ids": []}
                    yield Page(records, json.dumps(state), body.get("total"))
                    break
                yield Page(records, json.dumps(state), body.get("total"))
                if after is None:
                    return
                if capped:
                    break  # a new window from the mark
