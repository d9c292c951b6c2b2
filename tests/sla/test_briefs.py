from datetime import timedelta

from bot.sla.briefs import RecentFigures, TicketLine, account_ticket_summary
from bot.sla.clock import AT_RISK, BREACHED, FIRST_RESPONSE, OK, RESOLUTION
from tests.sla.factories import CARD_NOW, add_account, card_tickets, load, ticket

NOW = CARD_NOW


def ago(minutes: int):
    return NOW - timedelta(minutes=minutes)


def test_no_tickets_no_summary(db, policy):
    account = add_account(db, "A", "enterprise")
    with db.session() as session:
        assert account_ticket_summary(session, policy, account, "enterprise", NOW) is None


def test_open_tickets_worst_first_and_last_30_days(db, policy):
    account = card_tickets(db, policy)
    with db.session() as session:
        summary = account_ticket_summary(session, policy, account, "enterprise", NOW)
    assert summary is not None
    assert (summary.open_count, summary.breached, summary.at_risk) == (4, 1, 1)
    # The card's words for these lines are asserted in tests/views/test_tickets.py.
    assert summary.lines == (
        # LATE: response 3h 35m late (its resolution, 25m left, is the lesser problem).
        TicketLine("LATE", "API down", "sev1", BREACHED, FIRST_RESPONSE, -185),
        TicketLine("RISK", "Webhooks late", "sev2", AT_RISK, RESOLUTION, 80),
        TicketLine("WAIT", "Data gap", "sev1", OK, RESOLUTION, 230, paused=True),
        TicketLine("OK1", "Slow search", "sev2", OK, RESOLUTION, 420),
    )
    assert summary.last_30_days == RecentFigures(
        tickets=5,
        mtta_minutes=8.75,  # (10 + 5 + 10 + 10) / 4 answered tickets
        mttr_minutes=100,
        sla_attainment=5 / 6,  # first response 4 of 5 (LATE missed), resolution 1 of 1
        csat_avg=4.0,
    )


def test_open_tickets_keep_the_targets_of_the_tier_they_were_opened_in(db, policy):
    account = add_account(db, "A", "enterprise")
    load(db, policy, [ticket("T", "A", "sev2", "new", ago(90))])
    with db.session() as session:
        as_enterprise = account_ticket_summary(session, policy, account, "enterprise", NOW)
        as_starter = account_ticket_summary(session, policy, account, "starter", NOW)
    assert as_enterprise is not None and as_starter is not None
    line = as_enterprise.lines[0]
    assert (line.metric, line.minutes_left, line.target_tier) == (FIRST_RESPONSE, -30, None)  # 1h: 30m over
    # The account is Starter now (an override, a move): the ticket still runs on Enterprise's 1h, not
    # Starter's 8 business hours, and the line names where its target comes from.
    line = as_starter.lines[0]
    assert (line.metric, line.minutes_left, line.state) == (FIRST_RESPONSE, -30, BREACHED)
    assert line.target_tier == "Enterprise"
    assert as_starter.breached == 1
