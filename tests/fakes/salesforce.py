"""Salesforce REST: the OAuth 2.0 client-credentials token endpoint and the query resource as
documented (`totalSize`, `done`, `nextRecordsUrl`, records with `attributes`), sObject Collections
updates (`PATCH .../composite/sobjects`, at most 200 records, one SaveResult per record in order; a
failed one has no id), error bodies as a list of {"message", "errorCode"}, and the Sforce-Limit-Info
header. Understands the one SOQL shape the
client sends. Account i has Id 001000000000000 + i and SystemModstamp BASE + i seconds unless touched."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from tests.fakes.server import Answer, FakeServer, Request

BASE = datetime(2026, 1, 1, tzinfo=UTC)
BASE_S = int(BASE.timestamp())
_WHERE = re.compile(
    r"WHERE SystemModstamp > (?P<mark>\S+) OR \(SystemModstamp = \S+ AND Id > '(?P<id>[^']*)'\)"
)
_SELECT = re.compile(r"SELECT (?P<cols>.+?) FROM Account")


def sf_id(i: int) -> str:
    return f"001{i:015d}"


def sf_time(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _parse(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


class FakeSalesforce(FakeServer):
    def __init__(
        self,
        accounts: int = 0,
        *,
        client_id: str = "cid",
        client_secret: str = "secret",
        batch: int = 2000,
        version: str = "v62.0",
    ) -> None:
        super().__init__()
        self.n = accounts
        self.client = (client_id, client_secret)
        self.batch = batch
        self.version = version
        self.tokens: set[str] = set()
        self.stamps: dict[int, float] = {}
        self.values: dict[int, dict[str, Any]] = {}
        self.locators: dict[str, tuple[list[int], int, list[str]]] = {}
        self.usage = 0
        self.deleted: set[int] = set()  # updates answer ENTITY_IS_DELETED for these
        self.deleted_at: dict[int, float] = {}  # and the delete log lists these (`delete`)
        self.collection_updates: list[dict[str, Any]] = []  # every composite/sobjects PATCH body
        self.purged_before: float | None = None  # the delete log was purged up to here (a Recycle Bin purge)
        self.id_limit = 600_000  # the delete log answers EXCEEDED_ID_LIMIT above this many ids

    def issue_token(self) -> str:
        token = f"00D!{uuid.uuid4().hex}"
        self.tokens.add(token)
        return token

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def stamp(self, i: int) -> float:
        return self.stamps.get(i, BASE_S + i)

    def touch(self, ids: list[int], at: float, **values: Any) -> None:
        for i in ids:
            self.stamps[i] = at
            self.values.setdefault(i, {}).update(values)

    def record(self, i: int, columns: list[str]) -> dict[str, Any]:
        full: dict[str, Any] = {
            "Id": sf_id(i),
            "Name": f"Account {i}",
            "Website": f"https://www.a{i}.example/",
            "ACV__c": float((i * 7919) % 60_000),
            "Usage_Criticality__c": ("Low", "Medium", "High", "Critical")[i % 4],
            "Strategic__c": i % 50 == 0,
            "Health_Score__c": float(i % 101),
            "SystemModstamp": sf_time(self.stamp(i)),
        }
        full.update(self.values.get(i, {}))
        out: dict[str, Any] = {
            "attributes": {
                "type": "Account",
                "url": f"/services/data/{self.version}/sobjects/Account/{sf_id(i)}",
            }
        }
        out.update({c: full.get(c) for c in columns})
        return out

    def handle(self, request: Request) -> Answer:
        if request.path == "/services/oauth2/token":
            body = request.body or {}
            if (body.get("client_id"), body.get("client_secret")) != self.client:
                return 400, {}, {"error": "invalid_client", "error_description": "invalid client credentials"}
            return (
                200,
                {},
                {
                    "access_token": self.issue_token(),
                    "signature": "c2lnbmF0dXJl",
                    "instance_url": self.url,
                    "id": f"{self.url}/id/00D000000000001/005000000000001",
                    "token_type": "Bearer",
                    "issued_at": str(int(datetime.now(UTC).timestamp() * 1000)),
                },
            )
        auth = request.headers.get("authorization", "")
        if auth.removeprefix("Bearer ") not in self.tokens:
            return 401, {}, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
        self.usage += 1
        limits = {"Sforce-Limit-Info": f"api-usage={self.usage}/15000"}
        if request.path == f"/services/data/{self.version}/composite/sobjects" and request.method == "PATCH":
            return self._update(request.body or {}, limits)
        if request.path == f"/services/data/{self.version}/sobjects/Account/deleted/":
            return self._deleted(request.query, limits)
        prefix = f"/services/data/{self.version}/query"
        if request.path == prefix:
            return 200, limits, self._query(request.query.get("q", ""))
        if request.path.startswith(prefix + "/"):
            locator = request.path.rsplit("/", 1)[1]
            if locator not in self.locators:
                return (
                    400,
                    limits,
                    [{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}],
                )
            ids, start, columns = self.locators.pop(locator)
            return 200, limits, self._batch(ids, start, columns)
        return 404, limits, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]

    def _query(self, soql: str) -> dict[str, Any]:
        columns = [c.strip() for c in _SELECT.match(soql).group("cols").split(",")]  # type: ignore[union-attr]
        m = _WHERE.search(soql)
        if m is None:
            ids = [*(i for i in range(1, self.n + 1) if i not in self.stamps), *self.stamps]
            ids = [i for i in ids if i not in self.deleted_at]
        else:
            mark, last = _parse(m["mark"]), m["id"]
            first = max(1, int(mark - BASE_S))
            ids = [*(i for i in range(first, self.n + 1) if i not in self.stamps), *self.stamps]
            ids = [i for i in ids if self.stamp(i) > mark or (self.stamp(i) == mark and sf_id(i) > last)]
            ids = [i for i in ids if i not in self.deleted_at]
        ids.sort(key=lambda i: (self.stamp(i), sf_id(i)))
        return self._batch(ids, 0, columns)

    def _batch(self, ids: list[int], start: int, columns: list[str]) -> dict[str, Any]:
        page = ids[start : start + self.batch]
        records = [self.record(i, columns) for i in page]
        self.count(len(records))
        body: dict[str, Any] = {
            "totalSize": len(ids),
            "done": start + self.batch >= len(ids),
            "records": records,
        }
        if not body["done"]:
            locator = f"01g{uuid.uuid4().hex[:12]}-{start + self.batch}"
            self.locators[locator] = (ids, start + self.batch, columns)
            body["nextRecordsUrl"] = f"/services/data/{self.version}/query/{locator}"
        return body

    def _update(self, body: dict[str, Any], limits: dict[str, str]) -> Answer:
        records = body.get("records") or []
        if len(records) > 200:
            return (
                400,
                limits,
                [{"message": "Maximum number of records is 200", "errorCode": "EXCEEDED_ID_LIMIT"}],
            )
        self.collection_updates.append(body)
        by_id = {sf_id(i): i for i in range(1, self.n + 1)}
        results: list[dict[str, Any]] = []
        for record in records:
            i = by_id.get(str(record.get("id")))
            if i is None or i in self.deleted:
                error = {"statusCode": "ENTITY_IS_DELETED", "message": "entity is deleted", "fields": []}
                results.append({"success": False, "errors": [error]})
                continue
            values = {k: v for k, v in record.items() if k not in ("attributes", "id")}
            self.values.setdefault(i, {}).update(values)
            results.append({"id": sf_id(i), "success": True, "errors": []})
        return 200, limits, results

    def delete(self, ids: list[int], at: float) -> None:
        """Delete Accounts: queries leave them out, the delete log lists them, updates refuse them."""
        for i in ids:
            self.deleted.add(i)
            self.deleted_at[i] = at

    def _deleted(self, query: dict[str, str], limits: dict[str, str]) -> Answer:
        """GetDeletedResult as documented; errors as REST error bodies ([{"message", "errorCode"}],
        which name no date)."""
        start, end = _parse(query["start"]), _parse(query["end"])
        earliest = max(end - 15 * 86400, self.purged_before or 0.0)
        if end - start <= 60 or (self.purged_before is not None and start < self.purged_before):
            message = "startDate must be before endDate and not before the earliest date available"
            return 400, limits, [{"message": message, "errorCode": "INVALID_REPLICATION_DATE"}]
        found = [(i, at) for i, at in sorted(self.deleted_at.items()) if start <= at <= end]
        if len(found) > self.id_limit:
            message = f"More than {self.id_limit} ids; choose start and end dates closer together"
            return 400, limits, [{"message": message, "errorCode": "EXCEEDED_ID_LIMIT"}]
        return (
            200,
            limits,
            {
                "deletedRecords": [{"id": sf_id(i), "deletedDate": sf_time(at)} for i, at in found],
                "earliestDateAvailable": sf_time(earliest),
                "latestDateCovered": sf_time(end),
            },
        )
