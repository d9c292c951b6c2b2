"""HubSpot CRM v3 companies, as documented: list (`GET /crm/v3/objects/companies`, id-cursor paging),
search (`POST .../search`: filterGroups, one sort, `after` offsets, at most 10,000 results per query,
an `after` past the cap is a 400), batch update (`POST .../batch/update`, at most 100 inputs: 200 with
status COMPLETE, or 207 Multi-Status naming the ids it could not find in `errors[].context.ids`), 401
and 429 bodies, X-HubSpot-RateLimit-* headers.

Companies are generated on demand from their number: company i has id str(i) and was last modified
at BASE + i seconds, unless `touch` moved it later or `set` changed its properties.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from tests.fakes.server import Answer, FakeServer, Request

BASE_MS = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp() * 1000)
LIMITS = {
    "X-HubSpot-RateLimit-Daily": "500000",
    "X-HubSpot-RateLimit-Daily-Remaining": "499000",
    "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
    "X-HubSpot-RateLimit-Max": "190",
    "X-HubSpot-RateLimit-Remaining": "189",
}


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def rate_limit_body(policy: str = "SECONDLY") -> dict[str, Any]:
    word = "daily" if policy == "DAILY" else "secondly"
    return {
        "status": "error",
        "message": f"You have reached your {word} limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()),
        "policyName": policy,
        "requestId": str(uuid.uuid4()),
    }


class FakeHubSpot(FakeServer):
    def __init__(self, companies: int = 0, token: str = "pat-test", search_cap: int = 10_000) -> None:
        super().__init__()
        self.n = companies
        self.token = token
        self.search_cap = search_cap
        self.modified: dict[int, int] = {}  # touched companies: id -> ms
        self.props: dict[int, dict[str, Any]] = {}  # property overrides
        self._cache: dict[Any, list[int]] = {}
        self.archived: set[int] = set()  # not listed, not searched; batch updates answer OBJECT_NOT_FOUND
        self.archived_at: dict[int, int] = {}
        self.batch_updates: list[list[dict[str, Any]]] = []  # every batch/update's inputs
        # Enumeration properties: a value outside its options fails the whole batch (400 VALIDATION_ERROR).
        self.allowed_options: dict[str, set[str]] = {}

    # -- data -----------------------------------------------------------------------------------
    def modified_ms(self, i: int) -> int:
        return self.modified.get(i, BASE_MS + i * 1000)

    def company(self, i: int, properties: list[str] | None) -> dict[str, Any]:
        ms = self.modified_ms(i)
        props: dict[str, Any] = {
            "name": f"Company {i}",
            "domain": f"c{i}.example",
            "acv": str((i * 7919) % 60_000),
            "usage_criticality": ("low", "medium", "high", "critical")[i % 4],
            "strategic": "true" if i % 50 == 0 else "false",
            "health_score": str(i % 101),
            "hs_object_id": str(i),
            "hs_lastmodifieddate": iso(ms),
            "createdate": iso(BASE_MS),
        }
        props.update(self.props.get(i, {}))
        if properties is not None:
            keep = {*properties, "hs_object_id", "hs_lastmodifieddate", "createdate"}
            props = {k: v for k, v in props.items() if k in keep}
        return {
            "id": str(i),
            "properties": props,
            "createdAt": iso(BASE_MS),
            "updatedAt": iso(ms),
            "archived": False,
        }

    def touch(self, ids: list[int], at_ms: int, **props: Any) -> None:
        for i in ids:
            self.modified[i] = at_ms
            if props:
                self.props.setdefault(i, {}).update(props)
        self._cache.clear()

    def set(self, i: int, **props: Any) -> None:
        self.props.setdefault(i, {}).update(props)

    # -- HTTP -----------------------------------------------------------------------------------
    def handle(self, request: Request) -> Answer:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return (
                401,
                {},
                {
                    "status": "error",
                    "message": "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
                    "correlationId": str(uuid.uuid4()),
                    "category": "INVALID_AUTHENTICATION",
                },
            )
        if request.method == "GET" and request.path == "/crm/v3/objects/companies":
            return self._list(request)
        if request.method == "POST" and request.path == "/crm/v3/objects/companies/search":
            return self._search(request.body or {})
        if request.method == "POST" and request.path == "/crm/v3/objects/companies/batch/update":
            return self._batch_update(request.body or {})
        return 404, {}, {"status": "error", "message": "Not found", "category": "OBJECT_NOT_FOUND"}

    def archive(self, ids: list[int], at_ms: int) -> None:
        """Archive companies: lists and searches leave them out; `?archived=true` lists only them."""
        for i in ids:
            self.archived.add(i)
            self.archived_at[i] = at_ms
        self._cache.clear()

    def _archived(self, request: Request) -> Answer:
        limit = min(int(request.query.get("limit", 10)), 100)
        after = int(request.query.get("after", 0))
        ids = sorted(i for i in self.archived if i > after)
        page = ids[:limit]
        results = []
        for i in page:
            company = self.company(i, ["hs_object_id"])
            # Archiving is the record's last change: by default a second after its last modification.
            at = self.archived_at.get(i, self.modified_ms(i) + 1000)
            company.update(archived=True, archivedAt=iso(at))
            results.append(company)
        body: dict[str, Any] = {"results": results}
        if len(ids) > limit:
            body["paging"] = {"next": {"after": str(page[-1]), "link": None}}
        return 200, LIMITS, body

    def _list(self, request: Request) -> Answer:
        if request.query.get("archived") == "true":
            return self._archived(request)
        limit = min(int(request.query.get("limit", 10)), 100)
        after = int(request.query.get("after", 0))
        properties = (
            request.query.get("properties", "").split(",") if request.query.get("properties") else None
        )
        ids = range(after + 1, min(after + limit, self.n) + 1)
        results = [self.company(i, properties) for i in ids if i not in self.archived]
        self.count(len(results))
        body: dict[str, Any] = {"results": results}
        if ids and ids[-1] < self.n:
            nxt = str(ids[-1])
            body["paging"] = {
                "next": {"after": nxt, "link": f"{self.url}/crm/v3/objects/companies?after={nxt}"}
            }
        return 200, LIMITS, body

    def _matching(self, filters: list[dict[str, Any]], sort: str) -> list[int]:
        key = (repr(filters), sort)
        if key in self._cache:
            return self._cache[key]
        tests = []
        for f in filters:
            name, op, value = f["propertyName"], f["operator"], int(f["value"])
            if name not in ("hs_lastmodifieddate", "hs_object_id") or op not in (
                "GTE",
                "GT",
                "EQ",
                "LTE",
                "LT",
            ):
                raise ValueError(f"unsupported filter {f}")
            tests.append((name, op, value))
        # Untouched companies are ordered by id and time alike: find the first that can match.
        start = 1
        for name, op, value in tests:
            if name == "hs_lastmodifieddate" and op in ("GTE", "GT", "EQ"):
                start = max(start, (value - BASE_MS) // 1000)
        found = []
        candidates = [i for i in range(max(start, 1), self.n + 1) if i not in self.modified]
        for i in (*candidates, *self.modified):
            ms = self.modified_ms(i)
            ok = True
            for name, op, value in tests:
                got = ms if name == "hs_lastmodifieddate" else i
                ok = ok and {"GTE": got >= value, "GT": got > value, "EQ": got == value,
                             "LTE": got <= value, "LT": got < value}[op]  # fmt: skip
            if ok:
                found.append(i)
        found = sorted(
            set(found), key=(lambda i: (self.modified_ms(i), i)) if sort == "hs_lastmodifieddate" else int
        )
        self._cache[key] = found
        return found

    def _search(self, body: dict[str, Any]) -> Answer:
        after = int(body.get("after") or 0)
        limit = min(int(body.get("limit", 10)), 200)
        if after + limit > self.search_cap:
            return (
                400,
                {},
                {
                    "status": "error",
                    "message": f"Paging through more than {self.search_cap} results is not supported.",
                    "correlationId": str(uuid.uuid4()),
                    "category": "VALIDATION_ERROR",
                },
            )
        groups = body.get("filterGroups") or [{"filters": []}]
        sort = (body.get("sorts") or [{"propertyName": "hs_object_id"}])[0]["propertyName"]
        ids = self._matching(groups[0]["filters"], sort)
        page = ids[after : after + limit]
        results = [self.company(i, body.get("properties")) for i in page if i not in self.archived]
        self.count(len(results))
        out: dict[str, Any] = {"total": len(ids), "results": results}
        if after + limit < len(ids):
            out["paging"] = {"next": {"after": str(after + limit), "link": None}}
        return 200, LIMITS, out

    def _batch_update(self, body: dict[str, Any]) -> Answer:
        inputs = body.get("inputs") or []
        if len(inputs) > 100:
            return 400, {}, {"status": "error", "message": "Batch input limit is 100.",
                             "correlationId": str(uuid.uuid4()), "category": "VALIDATION_ERROR"}  # fmt: skip
        invalid = [
            {"isValid": False, "message": f"{value} was not one of the allowed options: {sorted(options)}",
             "error": "INVALID_OPTION", "name": prop,
             "localizedErrorMessage": f"{value} was not one of the allowed options: {sorted(options)}"}
            for item in inputs
            for prop, value in (item.get("properties") or {}).items()
            if (options := self.allowed_options.get(prop)) is not None and value not in options
        ]  # fmt: skip
        if invalid:
            # HubSpot's answer: the whole batch refused, the details JSON-encoded inside `message`.
            message = f"Property values were not valid: {json.dumps(invalid)}"
            return 400, {}, {"status": "error", "message": message, "correlationId": str(uuid.uuid4()),
                             "category": "VALIDATION_ERROR"}  # fmt: skip
        self.batch_updates.append(inputs)
        now = iso(int(datetime.now(UTC).timestamp() * 1000))
        results, missing = [], []
        for item in inputs:
            i = int(item["id"]) if str(item.get("id", "")).isdigit() else 0
            if not 1 <= i <= self.n or i in self.archived:
                missing.append(str(item.get("id")))
                continue
            self.props.setdefault(i, {}).update(item.get("properties") or {})
            company = self.company(i, None)
            company["properties"] = {**(item.get("properties") or {}), "hs_object_id": str(i)}
            company["updatedAt"] = now
            results.append(company)
        out: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now}
        if not missing:
            return 200, LIMITS, out
        out["numErrors"] = 1
        out["errors"] = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": "Could not get some COMPANY objects, they may be deleted or not exist. Check that ids are valid.",
                "context": {"ids": missing},
                "links": {},
            }
        ]
        return 207, LIMITS, out
