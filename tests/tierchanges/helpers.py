"""Moving accounts between tiers the way tierbot does (CSV import, overrides, recompute) at given times,
and running the tier-changes job against the Slack fake."""

from __future__ import annotations

import json
from datetime import datetime
from io import StringIO

from freezegun import freeze_time

from bot.accounts.importer import import_accounts
from bot.accounts.tiering import recompute
from bot.jobs.tierchanges import run_tier_changes
from bot.policy.model import Policy
from bot.schedule.context import JobContext, make_poster
from bot.services import Services
from bot.tierchanges.service import TierChangeAlert, due_reports
from storage.db import Database
from tests.fake_slack import FakeSlack, validate_message

HEADER = "external_id,name,acv,strategic,usage_criticality\n"


def put(
    db: Database,
    policy: Policy,
    at: datetime,
    acv: int,
    *,
    strategic: bool = False,
    criticality: str = "medium",
    name: str = "Acme Corp",
    external_id: str = "ACME",
) -> None:
    """Import one account row at `at`."""
    row = f"{external_id},{name},{acv},{'yes' if strategic else 'no'},{criticality}\n"
    report = import_accounts(db, policy, StringIO(HEADER + row), now=at, actor="ops")
    assert report.ok, report.errors


def recompute_at(db: Database, policy: Policy, at: datetime) -> int:
    with db.session() as session:
        return len(recompute(session, policy, at, actor="tierbot scheduler"))


def due(db: Database, policy: Policy, at: datetime, quiet_hours: int = 24) -> list[TierChangeAlert]:
    with db.session() as session:
        return due_reports(session, policy, at, quiet_hours)


def live(services: Services, policy: Policy) -> Services:
    settings = services.settings.model_copy(update={"tier_changes_channel": "CTIERS"})
    return Services(settings=settings, db=services.db, policy=policy, version_ttl=0.0)


def tick(services: Services, at: datetime) -> list[str]:
    """One run of the job at `at`; the statuses of what it delivered."""
    with freeze_time(at):
        ctx = JobContext(services, make_poster(services), at)
        run_tier_changes(ctx)
    return [o.status for o in ctx.outcomes]


def posted(fake_slack: FakeSlack) -> list[str]:
    out = []
    for call in fake_slack.calls_to("chat.postMessage"):
        validate_message(call.params)
        assert call.params["channel"] == "CTIERS"
        out.append(json.dumps(call.params["blocks"], ensure_ascii=False))
    return out
