"""Zendesk: the cursor-based incremental ticket export with `include=metric_sets` (`after_cursor`,
`after_url`, `end_of_stream`), the time-based incremental organization export (`next_page`,
`end_time`, `end_of_stream`), `PUT /api/v2/organizations/update_many.json` answering a job_status that
is polled at `/api/v2/job_statuses/{id}.json`, 401 and 429 bodies.

Ticket i (1..n) belongs to organization (i % orgs) + 1 and was updated at BASE + i minutes unless
touched; its cursor is "updated_at|id" in base64, as Zendesk's looks. Organization j has
external_id str(j) (the CRM record id of account j), except every `domain_only`-th one, which has
only its domain_names.
"""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.server import Answer, FakeServer, Request

BASE = datetime(2026, 1, 1, tzinfo=UTC)
BASE_S = int(BASE.timestamp())
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = ("urgent", "high", "normal", "low", None)


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeZendesk(FakeServer):
    def __init__(
        self,
        tickets: int = 0,
        orgs: int = 0,
        *,
        email: str = "agent@example.com",
        api_token: str = "zd-token",
        page: int = 1000,
        domain_only: int = 0,
    ) -> None:
        super().__init__()
        self.n, self.orgs, self.page, self.domain_only = tickets, orgs, page, domain_only
        self.auth = "Basic " + base64.b64encode(f"{email}/token:{api_token}".encode()).decode()
        self.updated: dict[int, float] = {}  # touched tickets
        self.ticket_values: dict[int, dict[str, Any]] = {}
        self.org_fields: dict[int, dict[str, Any]] = {}
        self.jobs: dict[str, dict[str, Any]] = {}
        self.updates: list[list[dict[str, Any]]] = []  # every update_many payload

    # -- data -----------------------------------------------------------------------------------
    def ticket_time(self, i: int) -> float:
        return self.updated.get(i, BASE_S + i * 60)

    def touch(self, ids: list[int], at: float, **values: Any) -> None:
        for i in ids:
            self.updated[i] = at
            self.ticket_values.setdefault(i, {}).update(values)

    def ticket(self, i: int) -> tuple[dict[str, Any], dict[str, Any]]:
        created = BASE_S + i * 60 - 3600
        status = STATUSES[i % len(STATUSES)]
        t = {
            "id": i,
            "url": f"{self.url}/api/v2/tickets/{i}.json",
            "subject": f"Ticket {i}",
            "status": status,
            "priority": PRIORITIES[i % len(PRIORITIES)],
            "organization_id": (i % self.orgs) + 1 if self.orgs else None,
            "assignee_id": 9000 + i % 7,
            "created_at": iso(created),
            "updated_at": iso(self.ticket_time(i)),
        }
        t.update(self.ticket_values.get(i, {}))
        solved = status in ("solved", "closed")
        metric = {
            "id": 50_000 + i,
            "ticket_id": i,
            "reply_time_in_minutes": {"calendar": 30 + i % 90, "business": 20},
            "solved_at": iso(created + 3000) if solved else None,
            "replies": 1 + i % 3,
            "created_at": iso(created),
            "updated_at": iso(self.ticket_time(i)),
        }
        return t, metric

    def org(self, j: int) -> dict[str, Any]:
        domain_only = bool(self.domain_only) and j % self.domain_only == 0
        return {
            "id": j,
            "name": f"Org {j}",
            "external_id": None if domain_only else str(j),
            "domain_names": [f"c{j}.example"],
            "organization_fields": dict(self.org_fields.get(j, {})),
            "created_at": iso(BASE_S),
            "updated_at": iso(BASE_S + j),
        }

    # -- HTTP -----------------------------------------------------------------------------------
    def handle(self, request: Request) -> Answer:
        if request.headers.get("authorization") != self.auth:
            return 401, {}, {"error": "Couldn't authenticate you"}
        if request.path == "/api/v2/incremental/tickets/cursor.json":
            return self._tickets(request.query)
        if request.path == "/api/v2/incremental/organizations.json":
            return self._orgs(int(request.query.get("start_time", 0)))
        if request.path == "/api/v2/organizations/update_many.json" and request.method == "PUT":
            return self._update_many(request.body or {})
        if request.path.startswith("/api/v2/job_statuses/"):
            job = self.jobs.get(request.path.rsplit("/", 1)[1].removesuffix(".json"))
            if job is None:
                return 404, {}, {"error": "RecordNotFound", "description": "Not found"}
            job["status"] = "completed"
            job["progress"] = job["total"]
            return 200, {}, {"job_status": job}
        return 404, {}, {"error": "InvalidEndpoint", "description": "Not found"}

    def _order(self, after: tuple[float, int]) -> Any:
        """Tickets after (updated_at, id), in that order, generated as they are needed."""
        ts, last = after
        first = max(1, int((ts - BASE_S) // 60))
        for i in range(first, self.n + 1):
            if i not in self.updated and (self.ticket_time(i), i) > (ts, last):
                yield i
        for i in sorted(self.updated, key=lambda k: (self.updated[k], k)):
            if (self.updated[i], i) > (ts, last):
                yield i

    def _tickets(self, query: dict[str, str]) -> Answer:
        if "cursor" in query:
            ts_text, _, id_text = base64.b64decode(query["cursor"]).decode().partition("||")
            after = (float(ts_text), int(id_text))
        else:
            after = (float(query.get("start_time", 0)) - 1e-6, 0)
        tickets, metrics = [], []
        last = after
        for i in self._order(after):
            t, m = self.ticket(i)
            tickets.append(t)
            metrics.append(m)
            last = (self.ticket_time(i), i)
            if len(tickets) == self.page:
                break
        end = len(tickets) < self.page or next(iter(self._order(last)), None) is None
        self.count(len(tickets))
        cursor = base64.b64encode(f"{last[0]}||{last[1]}".encode()).decode()
        body = {
            "tickets": tickets,
            "metric_sets": metrics if "metric_sets" in query.get("include", "") else None,
            "after_cursor": cursor,
            "after_url": f"{self.url}/api/v2/incremental/tickets/cursor.json?cursor={cursor}",
            "before_cursor": None,
            "before_url": None,
            "end_of_stream": end,
        }
        if body["metric_sets"] is None:
            del body["metric_sets"]
        return 200, {}, body

    def _orgs(self, start: int) -> Answer:
        if start > int((datetime.now(UTC) - timedelta(minutes=1)).timestamp()):
            return 400, {}, {"error": "InvalidValue", "description": "start_time is too recent"}
        first = max(1, start - BASE_S)
        ids = range(first, min(first + self.page, self.orgs + 1))
        orgs = [self.org(j) for j in ids]
        self.count(len(orgs))
        end = not ids or ids[-1] >= self.orgs
        end_time = BASE_S + (ids[-1] + 1 if ids else first)
        return (
            200,
            {},
            {
                "organizations": orgs,
                "next_page": None
                if end
                else f"{self.url}/api/v2/incremental/organizations.json?start_time={end_time}",
                "count": len(orgs),
                "end_time": end_time,
                "end_of_stream": end,
            },
        )

    def _update_many(self, body: dict[str, Any]) -> Answer:
        orgs = body.get("organizations") or []
        if len(orgs) > 100:
            return 400, {}, {"error": "TooManyValues", "description": "at most 100 organizations"}
        self.updates.append(orgs)
        results = []
        for o in orgs:
            if 1 <= int(o["id"]) <= self.orgs:
                self.org_fields.setdefault(int(o["id"]), {}).update(o.get("organization_fields") or {})
                results.append({"id": o["id"], "action": "update", "success": True, "status": "Updated"})
            else:
                results.append({"id": o["id"], "action": "update", "success": False, "status": "Failed",
                                "error": "OrganizationNotFound", "details": "not found"})  # fmt: skip
        job_id = uuid.uuid4().hex
        job = {"id": job_id, "url": f"{self.url}/api/v2/job_statuses/{job_id}.json", "job_type": "bulk_update",
               "total": len(orgs), "progress": None, "status": "queued", "message": None, "results": results}  # fmt: skip
        self.jobs[job_id] = job
        return 200, {}, {"job_status": {**job, "results": None}}
