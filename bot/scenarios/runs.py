"""Scenarios as evidence (issue 12 item 3): keep a result shown in Slack so its buttons can attach it to
a decision, and read it back. Adapters reach these through `service.py` (which also re-runs an attached
scenario on current data: `service.recheck`).

A run is written once, after the result was computed (the computation stays read-only); the buttons
carry its random id, because a result's JSON does not fit in a button value (2,000 characters).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.scenarios.evidence import SCENARIO, SWEEP, Kept, keep, sweep_command
from bot.scenarios.results import ScenarioResult, SweepResult
from bot.scenarios.schema import scenario_json, sweep_json, variant
from storage.models.scenarios import ScenarioRun

RUN_ID_BYTES = 12
_RUN_ID = re.compile(f"[0-9a-f]{{{2 * RUN_ID_BYTES}}}")

# A result scrolled away a week ago is not evidence anyone attaches; its row goes (attached copies stay).
RUN_TTL = timedelta(days=7)


@dataclass(frozen=True)
class Run:
    id: str
    run_by: str
    kept: Kept
    evidence: dict[str, Any]  # the pre-filled texts (command, evidence, ranges, tiers) the view wrote


def kept_result(result: ScenarioResult | SweepResult) -> Kept:
    """A ScenarioResult or SweepResult as data: its re-runnable command, the `--format json` document and
    its key figures."""
    if isinstance(result, SweepResult):
        spec = result.spec
        inputs = {
            "tier": spec.tier,
            "values": [float(v) for v in spec.values],
            "budget": None if spec.budget is None else float(spec.budget),
            "base": variant(spec.base),
            "days": result.days,
        }
        return keep(SWEEP, sweep_command(spec), inputs, sweep_json(result), result.now)
    inputs = {**variant(result.variant), "days": result.days}
    return keep(SCENARIO, result.variant.describe(), inputs, scenario_json(result), result.now)


def keep_run(
    session: Session,
    result: ScenarioResult | SweepResult,
    run_by: str,
    evidence: Mapping[str, Any],
    now: datetime,
) -> str:
    """Keep a result shown in Slack (its buttons carry the id this returns); unattached runs are pruned
    after RUN_TTL, each new one sweeping the stale ones (indexed, cheap)."""
    kept = kept_result(result)
    run_id = secrets.token_hex(RUN_ID_BYTES)
    session.execute(delete(ScenarioRun).where(ScenarioRun.created_at < now - RUN_TTL))
    session.add(
        ScenarioRun(
            id=run_id,
            kind=kept.kind,
            run_by=run_by,
            as_of=kept.as_of,
            created_at=now,
            command=kept.command,
            inputs=kept.inputs,
            results=kept.results,
            figures=kept.figures,
            summary={"lines": list(kept.lines), "evidence": dict(evidence)},
        )
    )
    return run_id


def load_run(session: Session, run_id: str) -> Run | None:
    """The kept run a button names; None for anything that is not one of our ids (a button value is
    client data: PostgreSQL refuses a NUL in a query parameter, so junk never reaches the query)."""
    row = session.get(ScenarioRun, run_id) if _RUN_ID.fullmatch(run_id or "") else None
    if row is None:
        return None
    summary = row.summary or {}
    kept = Kept(
        kind=row.kind,
        command=row.command,
        as_of=row.as_of,
        inputs=dict(row.inputs or {}),
        results=dict(row.results or {}),
        figures=dict(row.figures or {}),
        lines=tuple(str(x) for x in summary.get("lines") or ()),
    )
    evidence = summary.get("evidence")
    return Run(row.id, row.run_by, kept, dict(evidence) if isinstance(evidence, dict) else {})
