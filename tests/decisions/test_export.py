"""Exports: Markdown in the framework's template order, JSON that gives the record back."""

from __future__ import annotations

import json
import re

from bot.decisions.export import SECTIONS, input_from_json, to_dict, to_json, to_markdown
from bot.decisions.lifecycle import review
from bot.decisions.snapshot import load_snapshot
from bot.decisions.store import create_decision, input_of
from bot.services import Services
from storage.db import Database
from storage.models.decisions import Decision
from tests.conftest import add_account
from tests.decisions.factory import NOW, TODAY, valid_input


def _record(db: Database, services: Services) -> int:
    acme = add_account(db, services.policy, "Acme Corp", 32000)
    data = valid_input(
        account_ids=[acme],
        tiers=["enterprise", "professional"],
        success_metrics=[
            {"metric": "resolution_time", "baseline": "11h | median", "target": "6h"},
            {"metric": "support_cost_per_account", "baseline": "$410", "target": "≤ $450"},
            {"metric": "health_score", "baseline": "71", "target": "75"},
        ],
        triggers=[
            {"metric": "resolution_time", "scope_tier": "enterprise", "comparison": ">", "threshold": 8}
        ],
    )
    with db.session() as session:
        decision_id = create_decision(session, data, actor="UCREATOR", now=NOW, today=TODAY).id
    with db.session() as session:
        review(
            session,
            services.settings.admin_user_ids,
            decision_id,
            actor="UOWNER",
            outcome="adapt",
            now=NOW,
            today=TODAY,
            note="Tighten scope",
        )
    return decision_id


def test_markdown_follows_the_template_order(db: Database, services: Services) -> None:
    decision_id = _record(db, services)
    with db.session() as session:
        record = load_snapshot(session, decision_id)
    assert record is not None
    md = to_markdown(record, services.policy)
    headings = re.findall(r"^## (.+)$", md, flags=re.MULTILINE)
    assert headings == [*SECTIONS, "History"]
    assert SECTIONS[0] == "Objective" and SECTIONS[-1] == "Review triggers"
    assert md.startswith("# D-1: Give Professional accounts 24x7 sev1 coverage?\n")
    assert "### Option B: Pilot in stages, scale after thresholds are met (chosen)" in md
    assert "| Resolution time | 11h \\| median | 6h |" in md
    assert "- Enterprise resolution time > 8 h (30-day window)" in md
    assert "- Tiers: Enterprise, Professional" in md
    assert f"- Accounts: Acme Corp (#{record.accounts[0][0]})" in md
    assert "### Evidence\n\nQ4: 41 Professional sev1 tickets" in md
    assert "UOWNER: reviewed: adapt, next review" in md and "(Tighten scope)" in md


def test_json_round_trip(db: Database, services: Services) -> None:
    decision_id = _record(db, services)
    with db.session() as session:
        record = load_snapshot(session, decision_id)
        decision = session.get(Decision, decision_id)
        assert record is not None and decision is not None
        stored = input_of(session, decision)
    document = json.loads(to_json(record))
    assert (
        document["id"] == "D-1" and document["status"] == "reviewed" and document["last_outcome"] == "adapt"
    )
    assert [e["kind"] for e in document["history"]] == ["created", "reviewed"]
    assert document["review_triggers"][0]["threshold"] == 8.0
    assert input_from_json(to_json(record)) == stored
    assert input_from_json(document).success_metrics[0].baseline == "11h | median"
    assert to_dict(record) == document
