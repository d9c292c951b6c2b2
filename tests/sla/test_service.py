"""bot.sla.service: the front door gives what the domain functions give, with every dependency explicit."""

import pytest

from bot.sla import service
from bot.sla.briefs import account_ticket_summary
from bot.sla.clock import AT_RISK, BREACHED, Metric, SlaState
from bot.sla.metrics import period_metrics
from tests.sla.factories import CARD_NOW, add_account, card_tickets, load, ticket, utc


def test_statuses_are_str_enums_equal_to_their_old_strings():
    assert (SlaState.OK, SlaState.AT_RISK, SlaState.BREACHED) == ("ok", "at_risk", "breached")
    assert (Metric.FIRST_RESPONSE, Metric.RESOLUTION) == ("first_response", "resolution")
    assert {"breached": 0}[BREACHED] == 0 and f"{AT_RISK}" == "at_risk"
    assert service.SupportMetric("sla_attainment") is service.SupportMetric.SLA_ATTAINMENT


def test_card_summary_and_metrics(db, policy):
    account = card_tickets(db, policy)
    start = utc(2026, 10, 19, 12, 0)
    with db.session() as session:
        summary = service.account_ticket_summary(session, policy, account, "enterprise", CARD_NOW, 0.25)
        assert summary == account_ticket_summary(session, policy, account, "enterprise", CARD_NOW)
        metrics = service.period_metrics(
            session, policy, start, CARD_NOW, now=CARD_NOW, at_risk_share=0.25, account_id=account
        )
        assert metrics == period_metrics(session, policy, start, CARD_NOW, account_id=account, now=CARD_NOW)
        by_tier = service.period_metrics(
            session, policy, start, CARD_NOW, now=CARD_NOW, at_risk_share=0.25, tier="starter"
        )
        attainment = service.measure(
            session, policy, service.SupportMetric.SLA_ATTAINMENT, start, CARD_NOW, account_id=account
        )
        with pytest.raises(ValueError, match="unknown metric"):
            service.measure(session, policy, "nps", start, CARD_NOW)
        stored = service.attainment_by_tier(session, start, CARD_NOW)
    assert summary is not None and summary.open_count == 4
    assert (metrics.tickets, by_tier.tickets) == (5, 0)
    # Judged at the end of the period: LATE's first response is missed, 5 of 6 targets met.
    assert attainment == pytest.approx(500 / 6)
    assert stored == {"enterprise": (5, 5)}  # stored outcomes only: LATE is still open


def test_open_states_and_what_is_most_at_stake(db, policy):
    card_tickets(db, policy)
    add_account(db, "S", "starter", 1000)
    load(db, policy, [ticket("S1", "S", "sev1", "new", utc(2026, 11, 17, 6, 0))])
    with db.session() as session:
        starter = list(service.open_ticket_states(session, policy, CARD_NOW, 0.25, tiers={"starter"}))
        top = service.most_at_stake(session, policy, CARD_NOW, 0.25, 2)
    assert {(s.ticket_id, s.metric) for s in starter} == {("S1", "first_response"), ("S1", "resolution")}
    # Per clock: enterprise before starter, breached before at risk, then the least time left (LATE's
    # resolution has 25m, RISK's 80m).
    assert [(s.ticket_id, s.metric, s.state) for s in top] == [
        ("LATE", Metric.FIRST_RESPONSE, BREACHED),
        ("LATE", Metric.RESOLUTION, AT_RISK),
    ]
