"""What /tier shows of decisions: those naming the account or its tier, newest first, from indexes."""

from __future__ import annotations

from sqlalchemy import text

from bot.decisions.briefs import DecisionBrief, decisions_touching
from bot.decisions.lifecycle import supersede
from bot.decisions.store import create_decision
from bot.services import Services
from storage.db import Database
from tests.conftest import add_account
from tests.decisions.factory import NOW, TODAY, today_plus, valid_input


def test_account_or_tier_newest_first_without_superseded(db: Database, services: Services) -> None:
    acme = add_account(db, services.policy, "Acme Corp", 32000)
    other = add_account(db, services.policy, "Globex", 32000)
    made = {}
    with db.session() as session:
        for name, changes in (
            ("acct", {"account_ids": [acme], "tiers": []}),
            ("tier", {"tiers": ["enterprise"]}),
            ("other", {"account_ids": [other], "tiers": ["starter"]}),
            ("old", {"account_ids": [acme], "tiers": []}),
        ):
            made[name] = create_decision(
                session, valid_input(title=name, **changes), actor="U1", now=NOW, today=TODAY
            ).id
        new, _ = supersede(
            session,
            services.settings.admin_user_ids,
            made["old"],
            valid_input(title="new", account_ids=[acme], tiers=[]),
            actor="UOWNER",
            now=NOW,
            today=TODAY,
        )
    with db.session() as session:
        briefs = decisions_touching(session, acme, "enterprise")
    assert briefs == [
        DecisionBrief(f"D-{new.id}", "new", "open", today_plus(30)),
        DecisionBrief(f"D-{made['tier']}", "tier", "open", today_plus(30)),
        DecisionBrief(f"D-{made['acct']}", "acct", "open", today_plus(30)),
    ]
    with db.session() as session:
        assert [b.title for b in decisions_touching(session, acme, "enterprise", limit=2)] == ["new", "tier"]
        assert decisions_touching(session, 424242, "nothing") == []


def test_the_lookups_walk_the_indexes(db: Database) -> None:
    if not db.is_sqlite:
        return
    with db.engine.connect() as conn:
        for sql in (
            "SELECT decision_id FROM decision_tiers WHERE tier = 'x' ORDER BY decision_id DESC LIMIT 5",
            "SELECT decision_id FROM decision_accounts WHERE account_id = 1 ORDER BY decision_id DESC LIMIT 5",
        ):
            plan = " ".join(str(r[-1]) for r in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))
            assert "USING COVERING INDEX ix_decision_" in plan and "TEMP B-TREE" not in plan, plan
