from datetime import timedelta

from bot.sla.briefs import TicketLine, account_ticket_summary, format_minutes
from tests.sla.factories import add_account, load, ticket, utc

NOW = utc(2026, 11, 18, 12, 0)


def ago(minutes: int):
    return NOW - timedelta(minutes=minutes)


def test_no_tickets_no_summary(db, policy):
    account = add_account(db, "A", "enterprise")
    with db.session() as session:
        assert account_ticket_summary(session, policy, account, "enterprise", NOW) is None


def test_open_tickets_worst_first_and_last_30_days(db, policy):
    account = add_account(db, "A", "enterprise", 50000)
    load(db, policy, [
        ticket("OK1", "A", "sev2", "open", ago(60), first_response_at=ago(50), subject="Slow search"),
        ticket("RISK", "A", "sev2", "open", ago(400), first_response_at=ago(395), subject="Webhooks late"),
        ticket("LATE", "A", "sev1", "new", ago(215), subject="API down"),
        ticket("WAIT", "A", "sev1", "pending", ago(100), first_response_at=ago(90), subject="Data gap"),
        ticket("DONE", "A", "sev1", "solved", ago(2000), first_response_at=ago(1990), solved_at=ago(1900),
               csat=4, agent_replies=1),
        ticket("OLD", "A", "sev1", "solved", ago(60 * 24 * 40), first_response_at=ago(60 * 24 * 40 - 5),
               solved_at=ago(60 * 24 * 39)),
    ])  # fmt: skip
    with db.session() as session:
        summary = account_ticket_summary(session, policy, account, "enterprise", NOW)
    assert summary is not None
    assert (summary.open_count, summary.breached, summary.at_risk) == (4, 1, 1)
    assert summary.lines == (
        # LATE: response 3h 35m late (its resolution, 25m left, is the lesser problem).
        TicketLine("LATE", "API down", "sev1", "breached", "first response 3h 5m over"),
        TicketLine("RISK", "Webhooks late", "sev2", "at_risk", "resolution due in 1h 20m"),
        TicketLine("WAIT", "Data gap", "sev1", "ok", "resolution paused, 3h 50m left"),
        TicketLine("OK1", "Slow search", "sev2", "ok", "resolution due in 7h"),
    )
    assert summary.last_30_days == {
        "Tickets": "5",
        "MTTA": "9m",  # (10 + 5 + 10 + 10) / 4 answered tickets
        "MTTR": "1h 40m",
        "SLA attainment": "83%",  # first response 4 of 5 (LATE missed), resolution 1 of 1
        "CSAT": "4.0 / 5",
    }


def test_the_card_tier_sets_the_targets(db, policy):
    account = add_account(db, "A", "enterprise")
    load(db, policy, [ticket("T", "A", "sev2", "new", ago(90))])
    with db.session() as session:
        as_enterprise = account_ticket_summary(session, policy, account, "enterprise", NOW)
        as_starter = account_ticket_summary(session, policy, account, "starter", NOW)
    assert as_enterprise is not None and as_starter is not None
    assert as_enterprise.lines[0].due_text == "first response 30m over"  # 1h target
    # Starter: 8h of business time (one business day), none used yet: 05:30-07:00 in New York is
    # before opening hours.
    assert as_starter.lines[0].due_text == "first response due in 8h"


def test_format_minutes():
    assert [format_minutes(m) for m in (0, 45, 60, 80, 1440, 1565, -125)] == [
        "0m", "45m", "1h", "1h 20m", "1d", "1d 2h", "2h 5m",
    ]  # fmt: skip
    assert format_minutes(1980, days=False) == "33h"
