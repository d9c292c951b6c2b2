"""Salesforce Accounts through the REST query resource.

`SELECT ... FROM Account WHERE SystemModstamp > mark OR (SystemModstamp = mark AND Id > last) ORDER BY
SystemModstamp, Id` through `/services/data/{version}/query`, following `nextRecordsUrl` until `done`.
The cursor is the (SystemModstamp, Id) of the last applied record: a resume is a new query from that
key (query locators expire), and ordering by Id too makes ties at one stamp safe.

Auth: a given access token, or the OAuth 2.0 client-credentials flow at `{instance}/services/oauth2/token`;
on INVALID_SESSION_ID the token is fetched again once, then the sync stops naming the setting.
`403 REQUEST_LIMIT_EXCEEDED` stops the sync until the next run, without retrying.

Tier writes: `PATCH /services/data/{version}/composite/sobjects` (sObject Collections, allOrNone
false, up to 200 records), one SaveResult per record.
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

NAME = "salesforce"
STAMP = "SystemModstamp"
BATCH = 200  # sObject Collections take at most 200 records
DELETED_DAYS = 14  # the delete log answers for at most 15 days back
DELETED_MARK = "deleted_through"  # the sync state's mark: latestDateCovered of the last delete-log call
MIN_WINDOW = timedelta(minutes=1)  # start must precede end by more than a minute


class _SessionExpired(Exception):
    pass


class _Refused(BatchRefused):
    """An error answer with Salesforce's errorCode, for the callers that handle some codes."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(NAME, message)
        self.code = code


def parse_time(value: str | None) -> datetime | None:
    """Salesforce datetimes look like 2024-05-01T10:00:00.000+0000."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def soql_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _errors(response: httpx.Response) -> tuple[str, str]:
    """(errorCode, message) of Salesforce's error body: [{"message": ..., "errorCode": ...}]."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    first = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else body
    if not isinstance(first, dict):
        return "", ""
    return str(first.get("errorCode") or first.get("error") or ""), str(
        first.get("message") or first.get("error_description") or ""
    )[:200]


class SalesforceClient:
    name = NAME
    removed_every: timedelta | None = None  # the delete log is read from its mark on every run

    def __init__(
        self,
        instance_url: str,
        *,
        access_token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        api_version: str = "v62.0",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if access_token is None and not (client_id and client_secret):
            raise ValueError("a Salesforce access token or client id and secret are needed")
        self.http = httpx.Client(base_url=instance_url.rstrip("/"), timeout=HTTP_TIMEOUT, transport=transport)
        self.version = api_version
        self._token = access_token
        self._client = (client_id, client_secret) if client_id and client_secret else None
        self.token_setting = (
            "SALESFORCE_CLIENT_ID / SALESFORCE_CLIENT_SECRET" if self._client else "SALESFORCE_ACCESS_TOKEN"
        )
        self.api_usage: str | None = None  # the last Sforce-Limit-Info, e.g. "api-usage=25/15000"
        self.requests = 0

    def close(self) -> None:
        self.http.close()

    def _check(self, response: httpx.Response) -> None:
        code, message = _errors(response)
        if response.status_code == 401:
            raise _SessionExpired(code or "401")
        if response.status_code == 403 and code == "REQUEST_LIMIT_EXCEEDED":
            raise RateLimitStop(NAME, f"the org's API request limit is reached ({self.api_usage or code})")
        if response.status_code == 429:
            raise Retry("429 too many requests", retry_after(response))
        raise _Refused(f"{describe(response)}: {code} {message}".rstrip(), code)

    def _fetch_token(self) -> str:
        assert self._client is not None
        client_id, secret = self._client
        data = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}

        def check(response: httpx.Response) -> None:
            code, _ = _errors(response)
            if response.status_code in (400, 401):
                raise AuthFailed(
                    NAME, self.token_setting, f"token request refused: {code or response.status_code}"
                )
            self._check(response)

        body = json_of(NAME, send(self.http, NAME, "POST", "/services/oauth2/token", check=check, data=data))
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise SourceFailed(NAME, "the token response has no access_token")
        if isinstance(body, dict) and body.get("instance_url"):
            self.http.base_url = httpx.URL(str(body["instance_url"]).rstrip("/"))
        return str(token)

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One call with the token: fetched when missing, and fetched again once on INVALID_SESSION_ID."""
        refreshed = False
        while True:
            if self._token is None:
                self._token = self._fetch_token()
                refreshed = True
            headers = {"Authorization": f"Bearer {self._token}"}
            self.requests += 1
            try:
                response = send(self.http, NAME, method, path, check=self._check, headers=headers, **kwargs)
            except _SessionExpired as exc:
                if self._client is None or refreshed:
                    raise AuthFailed(NAME, self.token_setting, f"{exc} (expired or revoked)") from None
                log.info("salesforce: session expired; fetching a new token once")
                self._token = None
                continue
            self.api_usage = response.headers.get("Sforce-Limit-Info", self.api_usage)
            return response

    def _get(self, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        response = self._request("GET", path, params=params)
        body = json_of(NAME, response)
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise SourceFailed(NAME, f"{describe(response)} without a records list")
        return body

    def removed(self, now: datetime, marks: Mapping[str, str]) -> Iterator[Removed]:
        """Accounts deleted since the delete log's high-water mark (`GET .../sobjects/Account/deleted/
        ?start=&end=`), at most DELETED_DAYS back (Salesforce keeps 15 days). Each batch carries the
        new mark: the answer's `latestDateCovered`, the start of the next call as the docs ask.

        400 INVALID_REPLICATION_DATE (the log was purged past `start`): the error body is Salesforce's
        usual [{"errorCode", "message"}], which is not documented to name a date, so the log's
        `earliestDateAvailable` is read from a call over the last two minutes (the purge keeps entries
        younger than two hours) and the window is asked again once from there. 400 EXCEEDED_ID_LIMIT
        (over 600,000 ids): the window is split in two, and each half read in turn."""
        end = now.astimezone(UTC).replace(second=0, microsecond=0)
        floor = end - timedelta(days=DELETED_DAYS)
        mark = parse_time(marks.get(DELETED_MARK))
        start = max(mark, floor) if mark is not None else floor
        if end - start <= MIN_WINDOW:  # the API needs start more than a minute before end
            return
        try:
            yield from self._deleted(start, end)
        except _Refused as exc:
            if exc.code != "INVALID_REPLICATION_DATE":
                raise
            earliest = self._earliest(end)
            if earliest is None or earliest <= start or end - earliest <= MIN_WINDOW:
                raise
            log.warning("salesforce: the delete log starts at %s (purged); reading from there", earliest)
            note = (
                f"the delete log was purged up to {earliest:%Y-%m-%d %H:%M} UTC: accounts deleted "
                f"between {start:%Y-%m-%d %H:%M} and then are not marked"
            )
            first = True
            for batch in self._deleted(earliest, end):
                yield Removed(batch.records, batch.marks, note if first else None)
                first = False

    def _deleted(self, start: datetime, end: datetime) -> Iterator[Removed]:
        try:
            body = self._deleted_body(start, end)
        except _Refused as exc:
            if exc.code != "EXCEEDED_ID_LIMIT" or end - start <= 2 * MIN_WINDOW:
                raise
            middle = (start + (end - start) / 2).replace(microsecond=0)
            log.info("salesforce: over 600,000 deleted ids from %s to %s; splitting", start, end)
            yield from self._deleted(start, middle)
            yield from self._deleted(middle, end)
            return
        records = body["deletedRecords"]
        covered = parse_time(body.get("latestDateCovered")) or end
        yield Removed(
            [(str(r["id"]), parse_time(r.get("deletedDate"))) for r in records if isinstance(r, dict) and r.get("id")],
            {DELETED_MARK: soql_time(min(covered, end))},
        )  # fmt: skip

    def _deleted_body(self, start: datetime, end: datetime) -> dict[str, Any]:
        params = {"start": soql_time(start), "end": soql_time(end)}
        response = self._request(
            "GET", f"/services/data/{self.version}/sobjects/Account/deleted/", params=params
        )
        body = json_of(NAME, response)
        if not isinstance(body, dict) or not isinstance(body.get("deletedRecords"), list):
            raise SourceFailed(NAME, f"{describe(response)} without a deletedRecords list")
        return body

    def _earliest(self, end: datetime) -> datetime | None:
        """The log's earliestDateAvailable, from a call over its last two minutes."""
        try:
            body = self._deleted_body(end - 2 * MIN_WINDOW, end)
        except _Refused:
            return None
        earliest = parse_time(body.get("earliestDateAvailable"))
        return earliest + timedelta(seconds=1) if earliest is not None else None

    def update_field(self, field: str, values: Sequence[tuple[str, str]]) -> JobResult:
        """Set `field` on up to 200 Accounts (Id, value) with one sObject Collections update. With
        allOrNone false each record succeeds or fails alone; the SaveResults come back in the order
        of the records sent (a failed one may carry no id)."""
        if len(values) > BATCH:
            raise ValueError(f"composite/sobjects takes at most {BATCH} records")
        payload = {
            "allOrNone": False,
            "records": [{"attributes": {"type": "Account"}, "id": i, field: v} for i, v in values],
        }
        response = self._request("PATCH", f"/services/data/{self.version}/composite/sobjects", json=payload)
        body = json_of(NAME, response)
        if not isinstance(body, list) or len(body) != len(values):
            raise SourceFailed(NAME, f"{describe(response)} without one result per record")
        done: list[str] = []
        failed: list[tuple[str, str]] = []
        for (rid, _), result in zip(values, body, strict=True):
            if isinstance(result, dict) and result.get("success") is True:
                done.append(rid)
                continue
            errors = (result.get("errors") if isinstance(result, dict) else None) or [{}]
            first = errors[0] if isinstance(errors[0], dict) else {}
            reason = f"{first.get('statusCode') or 'error'}: {str(first.get('message') or '')[:160]}"
            failed.append((rid, reason.rstrip(": ")))
        return JobResult(done, failed)

    def pages(self, cursor: str | None, full: bool, fields: Sequence[str]) -> Iterator[Page]:
        state: dict[str, Any] = json.loads(cursor) if cursor and not full else {}
        columns = ", ".join(dict.fromkeys(["Id", *fields, STAMP]))
        where = ""
        if "mark" in state:
            mark, last = state["mark"], str(state["id"]).replace("'", "")
            where = f" WHERE {STAMP} > {mark} OR ({STAMP} = {mark} AND Id > '{last}')"
        query = f"SELECT {columns} FROM Account{where} ORDER BY {STAMP} ASC, Id ASC"
        body = self._get(f"/services/data/{self.version}/query", {"q": query})
        total = body.get("totalSize")
        while True:
            records = [
                RemoteAccount(str(r["Id"]), parse_time(r.get(STAMP)), r)
                for r in body["records"]
                if r.get("Id")
            ]
            if records:
                last_record = records[-1]
                stamp = last_record.updated_at
                state = {
                    "mark": soql_time(stamp) if stamp else state.get("mark"),
                    "id": last_record.source_id,
                }
            yield Page(records, json.dumps(state), total)
            if body.get("done", True) or not body.get("nextRecordsUrl"):
                return
            body = self._get(str(body["nextRecordsUrl"]))
