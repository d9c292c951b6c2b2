"""The report's numbers on the hand-computed data set (tests/reports/dataset.py, README "Per-tier report")."""

from decimal import Decimal

import pytest

from bot.reports import service as reports
from bot.reports.periods import ReportPeriod, parse_period, windows
from bot.views import report as report_view
from tests.reports.dataset import NOW, seed
from tests.sla.factories import utc


@pytest.fixture
def report(db, policy):
    seed(db, policy)
    with db.session() as session:
        return reports.tier_report(session, policy, ReportPeriod.WEEK, now=NOW, at_risk_share=0.25)


def test_enterprise_this_period(report):
    ent = report.rows[0]
    assert (ent.tier, ent.accounts, ent.acv, ent.health_avg) == ("enterprise", 2, Decimal("80000.00"), 70.0)
    m = ent.current
    assert (m.tickets, m.solved, m.accounts) == (4, 3, 2)
    assert m.severity_counts == {"sev1": 2, "sev2": 2, "sev3": 0, "sev4": 0}
    assert m.mtta_minutes == pytest.approx((20 + 90 + 30) / 3)
    assert m.mttr_minutes == pytest.approx((120 + 600 + 240) / 3)
    assert m.fcr_share == pytest.approx(2 / 3)  # T1 (1 reply) and T3 (none) of three solved
    # T2 missed both; the open T4 is past both targets at noon: counted as missed.
    assert (m.first_response_met, m.first_response_decided) == (2, 4)
    assert (m.resolution_met, m.resolution_decided) == (2, 4)
    assert m.csat_avg == 4.0
    assert m.support_cost == Decimal("332.50")  # 210 min at $95/h
    assert m.support_cost_per_account == Decimal("166.25")


def test_enterprise_previous_period_and_changes(report):
    ent = report.rows[0]
    p = ent.previous
    assert (p.tickets, p.mtta_minutes, p.mttr_minutes, p.fcr_share, p.csat_avg) == (1, 45, 360, 1.0, 4.0)
    assert p.first_response_attainment == 1.0 and p.resolution_attainment == 1.0
    assert p.support_cost_per_account == Decimal("142.50")
    lines = {line.measure: line for line in report_view.tier_lines(ent)}
    assert lines["Tickets"].change == "+3"
    assert (lines["MTTA"].current, lines["MTTA"].change) == ("47m", "+2m")
    assert (lines["MTTR"].current, lines["MTTR"].previous, lines["MTTR"].change) == ("5h 20m", "6h", "-40m")
    assert lines["First-contact resolution"].change == "-33.3 pts"
    assert lines["First-response attainment"].current == "50.0%"
    assert lines["Resolution attainment"].change == "-50.0 pts"
    assert lines["CSAT"].change == "±0"
    assert lines["Support cost per account"].change == "+$23.75"
    assert lines["Accounts"].current == "2" and lines["ACV"].current == "$80,000"


def test_starter_and_empty_tier(report):
    starter = {r.tier: r for r in report.rows}["starter"]
    m = starter.current
    assert (m.tickets, m.mtta_minutes, m.mttr_minutes, m.fcr_share) == (1, 60, 300, 1.0)
    assert m.sla_attainment == 1.0
    assert m.support_cost_per_account == Decimal("33.75")  # 45 min at $45/h
    pro = {r.tier: r for r in report.rows}["professional"]
    assert pro.accounts == 0 and pro.current.tickets == 0 and pro.current.mttr_minutes is None


def test_weekly_series(report):
    weeks = report.weeks["enterprise"]
    assert len(weeks) == 12 and weeks[-1].end == utc(2026, 11, 23)
    assert weeks[-1].attainment == 0.5 and weeks[-1].tickets == 4  # the 7d period
    assert weeks[-2].attainment == 1.0 and weeks[-2].mttr_minutes == 360  # T5
    assert all(w.tickets == 0 and w.attainment is None for w in weeks[:-2])


def test_periods():
    assert parse_period("") == ReportPeriod.MONTH
    assert parse_period("Quarter") == ReportPeriod.QUARTER
    assert parse_period("7d") == ReportPeriod.WEEK
    assert parse_period("2y") is None
    w = windows(ReportPeriod.QUARTER, NOW)
    assert (w.current.end - w.current.start).days == 91 == (w.previous.end - w.previous.start).days
    assert w.previous.end == w.current.start


def test_message_and_table(report):
    message = report_view.report_message(report)
    assert message["blocks"][0]["type"] == "header"
    assert "Enterprise" in str(message["blocks"]) and "Professional" not in str(message["blocks"])
    table = report_view.report_table(report)
    assert "Support cost per account" in table
    assert report_view.report_markdown(report).count("\n| Starter |") == 11


def test_without_the_weekly_series(db, policy):
    seed(db, policy)
    with db.session() as session:
        full = reports.tier_report(session, policy, ReportPeriod.WEEK, now=NOW, at_risk_share=0.25)
        plain = reports.tier_report(
            session, policy, ReportPeriod.WEEK, now=NOW, at_risk_share=0.25, weekly=False
        )
    assert plain.weeks == {} and plain.rows == full.rows
