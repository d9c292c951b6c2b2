"""The accounts importer: matching stored accounts, tiers and history, all-or-nothing writes."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.accounts.csv_stream import read_account_rows
from bot.accounts.import_plan import plan_import
from bot.accounts.import_write import apply_plan
from bot.policy.model import Policy
from storage.db import Database
from storage.models import Account, TierChange, TierOverride
from tests.accounts.import_helpers import (
    NOW,
    accounts,
    count_accounts,
    history,
    lines_of,
    read_version_now,
    run,
    write,
)
from tests.conftest import add_account


@pytest.mark.parametrize(
    ("acv", "tier"),
    [("4999.99", "starter"), ("5000", "professional"), ("24999.99", "professional"), ("25000", "enterprise")],
)
def test_boundary_acvs(db: Database, policy: Policy, tmp_path: Path, acv: str, tier: str) -> None:
    report = run(db, policy, write(tmp_path, f"name,acv\nEdge Co,{acv}\n"))
    assert report.ok, report.errors
    edge = accounts(db)["Edge Co"]
    assert (edge.acv, edge.tier) == (Decimal(acv), tier)


def test_reimport_updates_by_external_id_and_records_the_move(
    db: Database, policy: Policy, tmp_path: Path
) -> None:
    run(db, policy, write(tmp_path, "external_id,name,acv\nX-1,Acme Corp,4000\n", "first.csv"))
    first_id = accounts(db)["Acme Corp"].id
    report = run(
        db, policy, write(tmp_path, "external_id,name,acv\nX-1,Acme Corporation,30000\n", "second.csv")
    )
    assert (report.new, report.updated, report.unchanged) == (0, 1, 0)
    assert [(m.name, m.from_tier, m.to_tier) for m in report.tier_moves] == [
        ("Acme Corporation", "starter", "enterprise")
    ]
    stored = accounts(db)
    assert list(stored) == ["Acme Corporation"]
    assert stored["Acme Corporation"].id == first_id and stored["Acme Corporation"].tier == "enterprise"
    assert stored["Acme Corporation"].name_key == "acme corporation"
    changes = [(c.account_id, c.from_tier, c.to_tier, c.cause, c.actor, c.detail) for c in history(db)]
    assert changes == [
        (first_id, None, "starter", "import", "import:first.csv", "ACV $4,000 < $5,000 → Starter"),
        (
            first_id,
            "starter",
            "enterprise",
            "import",
            "import:second.csv",
            "ACV $30,000 ≥ $25,000 → Enterprise",
        ),
    ]
    assert history(db)[1].at == NOW


def test_reimport_matches_by_normalised_name_and_adopts_the_external_id(
    db: Database, policy: Policy, tmp_path: Path
) -> None:
    run(db, policy, write(tmp_path, "name,acv\nAcme Corp,4000\n"))
    account_id = accounts(db)["Acme Corp"].id
    report = run(db, policy, write(tmp_path, "name,acv,external_id\nACME corp.,4000,AC-9\n"))
    assert (report.new, report.updated, report.tier_moves) == (0, 1, [])
    stored = accounts(db)
    assert list(stored) == ["ACME corp."]
    assert (stored["ACME corp."].id, stored["ACME corp."].external_id) == (account_id, "AC-9")
    assert len(history(db)) == 1  # no tier move, no new history entry


def test_same_file_twice_is_unchanged_and_writes_nothing(
    db: Database, policy: Policy, tmp_path: Path
) -> None:
    sample = Path(__file__).parents[2] / "bot" / "sample_data" / "accounts.csv"
    first = run(db, policy, sample)
    assert (first.new, first.updated, first.unchanged) == (12, 0, 0)
    version = read_version_now(db)
    again = run(db, policy, sample)
    assert (again.new, again.updated, again.unchanged, again.tier_moves) == (0, 0, 12, [])
    assert read_version_now(db) == version  # the bot's caches need no reload
    assert len(history(db)) == 12


def test_import_bumps_the_accounts_version(db: Database, policy: Policy, tmp_path: Path) -> None:
    before = read_version_now(db)
    run(db, policy, write(tmp_path, "name,acv\nAcme,1\n"))
    assert read_version_now(db) == before + 1


def test_columns_missing_from_the_file_keep_stored_values(
    db: Database, policy: Policy, tmp_path: Path
) -> None:
    run(db, policy, write(tmp_path, "name,acv,strategic,owner,region\nAcme,4000,yes,U024BE7LH,NA\n"))
    report = run(db, policy, write(tmp_path, "name,acv,region\nAcme,4500,\n"))
    assert report.updated == 1
    acme = accounts(db)["Acme"]
    # strategic and owner are absent from the file: kept. region is present but empty: cleared.
    assert (acme.acv, acme.strategic, acme.owner, acme.region, acme.tier) == (
        Decimal("4500"),
        True,
        "U024BE7LH",
        None,
        "professional",
    )


def test_one_bad_row_writes_nothing_and_every_bad_row_is_listed(
    db: Database, policy: Policy, tmp_path: Path
) -> None:
    add_account(db, policy, "Existing", 1000, external_id="E-1")
    path = write(
        tmp_path,
        "external_id,name,acv,usage_criticality,health_score\n"
        "E-1,Existing,90000,medium,50\n"
        "N-1,Fine Co,100,low,\n"
        "N-2,Bad Money,abc,low,\n"
        "N-3,Negative,-5,low,\n"
        "N-4,Odd,100,urgent,101\n"
        "N-5,,100,low,\n",
    )
    report = run(db, policy, path)
    assert not report.ok and not report.written
    assert [(e.line, e.message) for e in report.errors] == [
        (4, "acv 'abc' is not an amount like 25000, 25000.00 or $25,000"),
        (5, "acv '-5' is negative"),
        (6, "usage_criticality 'urgent' is not one of low, medium, high, critical"),
        (6, "health_score '101' is not a whole number from 0 to 100"),
        (7, "name is empty"),
    ]
    assert report.bad_lines == 4
    assert count_accounts(db) == 1
    assert accounts(db)["Existing"].acv == Decimal("1000")


def test_a_name_shared_by_stored_accounts_cannot_be_matched(
    db: Database, policy: Policy, tmp_path: Path
) -> None:
    add_account(db, policy, "Acme", 1000, external_id="US-1")
    add_account(db, policy, "ACME", 2000, external_id="EU-1")
    report = run(db, policy, write(tmp_path, "name,acv\nGlobex,1\nacme,3000\n"))
    assert lines_of(report) == [3]
    assert "2 stored accounts" in report.errors[0].message
    assert count_accounts(db) == 2
    # With an external id the row is unambiguous.
    ok = run(db, policy, write(tmp_path, "external_id,name,acv\nEU-1,acme,3000\n"))
    assert (ok.updated, ok.new) == (1, 0)


def test_two_rows_updating_one_account_are_refused(db: Database, policy: Policy, tmp_path: Path) -> None:
    add_account(db, policy, "Acme", 1000, external_id="A-1")
    report = run(db, policy, write(tmp_path, "external_id,name,acv\nA-1,Acme Renamed,1\n,Acme,2\n"))
    assert lines_of(report) == [2, 3]
    assert "updates the same account" in report.errors[0].message


def test_dry_run_reports_moves_and_writes_nothing(db: Database, policy: Policy, tmp_path: Path) -> None:
    run(db, policy, write(tmp_path, "external_id,name,acv\nA-1,Acme,4000\nB-1,Globex,30000\n"))
    path = write(tmp_path, "external_id,name,acv\nA-1,Acme,26000\nB-1,Globex,30000\nC-1,Hooli,10\n", "b.csv")
    report = run(db, policy, path, dry_run=True)
    assert report.ok and not report.written
    assert (report.new, report.updated, report.unchanged) == (1, 1, 1)
    assert [(m.line, m.name, m.from_tier, m.to_tier) for m in report.tier_moves] == [
        (2, "Acme", "starter", "enterprise")
    ]
    assert report.new_by_tier == {"starter": 1}
    stored = accounts(db)
    assert sorted(stored) == ["Acme", "Globex"]
    assert (stored["Acme"].acv, stored["Acme"].tier) == (Decimal("4000"), "starter")
    assert len(history(db)) == 2


def test_active_override_keeps_the_tier_and_expired_one_does_not(
    db: Database, policy: Policy, tmp_path: Path
) -> None:
    held = add_account(db, policy, "Held", 1000, external_id="H-1")
    lapsed = add_account(db, policy, "Lapsed", 1000, external_id="L-1")
    with db.session() as session:
        for account_id, expires in ((held, NOW + timedelta(days=30)), (lapsed, NOW - timedelta(days=1))):
            session.add(
                TierOverride(
                    account_id=account_id,
                    tier="enterprise",
                    reason="board escalation",
                    set_by="ana",
                    expires_at=expires,
                    created_at=NOW - timedelta(days=60),
                )
            )
            session.get_one(Account, account_id).tier = "enterprise"
    report = run(db, policy, write(tmp_path, "external_id,name,acv\nH-1,Held,6000\nL-1,Lapsed,6000\n"))
    assert [(m.name, m.from_tier, m.to_tier) for m in report.tier_moves] == [
        ("Lapsed", "enterprise", "professional")
    ]
    stored = accounts(db)
    assert (stored["Held"].tier, stored["Held"].acv) == ("enterprise", Decimal("6000"))
    assert stored["Lapsed"].tier == "professional"


def test_plan_and_apply_from_a_text_stream(db: Database, policy: Policy) -> None:
    parsed = read_account_rows(io.StringIO("\ufeffname,acv\nAcme,30000\nHooli,10\n"))
    assert parsed.ok and [r.line for r in parsed.rows] == [2, 3]
    with db.session() as session:
        plan = plan_import(session, policy, parsed.rows, NOW)
        assert [(p.name, p.tier) for p in plan.new] == [
            ("Acme", "enterprise"),
            ("Hooli", "starter"),
        ]
        apply_plan(session, plan, NOW, "tester")
    assert [(c.to_tier, c.actor) for c in history(db)] == [("enterprise", "tester"), ("starter", "tester")]
    assert {a.name: a.id for a in accounts(db).values()} == {
        "Acme": plan.new[0].account_id,
        "Hooli": plan.new[1].account_id,
    }


def test_new_ids_line_up_with_rows_after_existing_accounts(
    db: Database, policy: Policy, tmp_path: Path
) -> None:
    add_account(db, policy, "Zeta", 100)
    body = "name,acv\n" + "".join(f"Company {i},{i * 700}\n" for i in range(1, 301))
    report = run(db, policy, write(tmp_path, body), actor="ops")
    assert report.new == 300
    with db.session() as session:
        rows = session.execute(
            select(Account.name, Account.acv, Account.tier, TierChange.to_tier, TierChange.detail)
            .join(TierChange, TierChange.account_id == Account.id)
            .where(TierChange.actor == "ops")
        ).all()
    assert len(rows) == 300
    for name, acv, tier, to_tier, detail in rows:
        assert acv == int(name.split()[1]) * 700 and tier == to_tier
        assert detail.startswith(f"ACV ${int(acv):,}")


def test_progress_reports_each_phase(db: Database, policy: Policy, tmp_path: Path) -> None:
    calls: list[tuple[str, int, int | None]] = []
    body = "name,acv\n" + "".join(f"Co {i},{i}\n" for i in range(6000))
    run(db, policy, write(tmp_path, body), progress=lambda *a: calls.append(a))
    assert {c[0] for c in calls} == {"read", "plan", "write"}
    assert calls[-1] == ("write", 6000, 6000)
    assert ("plan", 6000, 6000) in calls
    assert ("read", 6001, 6001) in calls
