"""A complete, valid decision input to start tests from (each test breaks what it is about)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.decisions.record import DecisionInput

NOW = datetime(2030, 3, 4, 15, 0, tzinfo=UTC)
TODAY = NOW.date()


def valid_input(**changes: Any) -> DecisionInput:
    base = DecisionInput(
        title="Give Professional accounts 24x7 sev1 coverage?",
        objective="Cut sev1 resolution time for Professional accounts without raising cost per account by >10%.",
        scope="Professional tier, sev1 tickets only; not Starter.",
        horizon=TODAY + timedelta(days=180),
        owner="UOWNER",
        tiers=["professional"],
        evidence="Q4: 41 Professional sev1 tickets, median resolution 11h vs 4h for Enterprise.",
        assumptions="Night-shift volume stays under 5 tickets a week.",
        open_questions="Does the EMEA team have capacity?",
        key_assumptions="Usage criticality high for a third of Professional accounts.",
        scenario_ranges="Low: 2 night tickets/week; high: 9.",
        tradeoff_summary="Differentiates Professional from Starter; fair to Enterprise who pay for 24x7.",
        risks="On-call fatigue; mitigated by rotation.",
        criteria="Median sev1 resolution under 6h within a quarter.",
        chosen_option="B",
        rationale="Staged pilot lets us learn before committing headcount.",
        review_date=TODAY + timedelta(days=30),
        cadence_initial="Week 1: confirm ticket volumes.",
        cadence_operating="Monthly ops review.",
        cadence_post="At 90 days: continue, adapt or stop.",
        reversal_signal="Cost per Professional account up >15% for two months.",
        stop_conditions="Night sev1 volume above 10/week.",
    )
    return base.merged(changes) if changes else base


def today_plus(days: int) -> date:
    return TODAY + timedelta(days=days)
