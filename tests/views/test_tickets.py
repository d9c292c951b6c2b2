"""The /tier card's ticket section: the words for what bot.sla.briefs measures."""

from bot.sla.briefs import RecentFigures, TicketSummary, account_ticket_summary
from bot.sla.clock import FIRST_RESPONSE, RESOLUTION
from bot.views.format import duration
from bot.views.tickets import due_text, line_text, recent_fields, ticket_blocks
from tests.sla.factories import CARD_NOW, add_account, card_tickets, load, ticket


def test_open_tickets_worst_first_and_last_30_days(db, policy):
    account = card_tickets(db, policy)
    with db.session() as session:
        summary = account_ticket_summary(session, policy, account, "enterprise", CARD_NOW)
    assert summary is not None
    assert [
        (line.ticket_id, due_text(line.metric, line.minutes_left, line.paused)) for line in summary.lines
    ] == [
        ("LATE", "first response 3h 5m over"),
        ("RISK", "resolution due in 1h 20m"),
        ("WAIT", "resolution paused, 3h 50m left"),
        ("OK1", "resolution due in 7h"),
    ]
    assert summary.last_30_days is not None
    assert recent_fields(summary.last_30_days) == {
        "Tickets": "5",
        "MTTA": "9m",  # (10 + 5 + 10 + 10) / 4 answered tickets
        "MTTR": "1h 40m",
        "SLA attainment": "83%",  # first response 4 of 5 (LATE missed), resolution 1 of 1
        "CSAT": "4.0 / 5",
    }
    head, figures = ticket_blocks(summary)
    assert head["text"]["text"].splitlines() == [
        "*Open tickets:* 4 · 1 breached · 1 at risk",
        "• :red_circle: `LATE` API down · sev1 · first response 3h 5m over",
        "• :large_orange_circle: `RISK` Webhooks late · sev2 · resolution due in 1h 20m",
        "• :large_green_circle: `WAIT` Data gap · sev1 · resolution paused, 3h 50m left",
        "• :large_green_circle: `OK1` Slow search · sev2 · resolution due in 7h",
    ]
    assert [e["text"] for e in figures["elements"]] == [
        "*Tickets* 5", "*MTTA* 9m", "*MTTR* 1h 40m", "*SLA attainment* 83%", "*CSAT* 4.0 / 5",
    ]  # fmt: skip


def test_a_ticket_keeps_the_targets_of_the_tier_it_was_opened_in(db, policy):
    account = add_account(db, "A", "enterprise")
    load(db, policy, [ticket("T", "A", "sev2", "new", CARD_NOW.replace(hour=10, minute=30))])
    with db.session() as session:
        as_enterprise = account_ticket_summary(session, policy, account, "enterprise", CARD_NOW)
        as_starter = account_ticket_summary(session, policy, account, "starter", CARD_NOW)
    assert as_enterprise is not None and as_starter is not None
    assert line_text(as_enterprise.lines[0]).endswith("first response 30m over")  # 1h target
    # The card now shows Starter: the ticket keeps its Enterprise target, and the line says so
    # (Starter's 8 business hours would read "due in 8h").
    assert line_text(as_starter.lines[0]).endswith(
        "first response 30m over · Enterprise target (tier when opened)"
    )


def test_ticket_ids_and_subjects_are_escaped_and_cut():
    from bot.sla.briefs import TicketLine
    from bot.sla.clock import OK

    line = TicketLine("<!here>", "Slow <@U1> & " + "x" * 100, "sev3", OK, RESOLUTION, 60)
    assert line_text(line) == (
        ":large_green_circle: `&lt;!here&gt;` Slow &lt;@U1&gt; &amp; "
        + "x" * 66
        + "… · sev3 · resolution due in 1h"
    )


def test_a_summary_without_figures_has_no_context_line():
    assert len(ticket_blocks(TicketSummary(open_count=0, breached=0, at_risk=0))) == 1
    assert ticket_blocks(TicketSummary(0, 0, 0, last_30_days=RecentFigures(tickets=2)))[1]["elements"] == [
        {"type": "mrkdwn", "text": "*Tickets* 2"}
    ]


def test_due_text_has_no_days():
    assert due_text(FIRST_RESPONSE, 1980, paused=False) == "first response due in 33h"


def test_format_minutes():
    assert [duration(m) for m in (0, 45, 60, 80, 1440, 1565, -125)] == [
        "0m", "45m", "1h", "1h 20m", "1d", "1d 2h", "2h 5m",
    ]  # fmt: skip
    assert duration(1980, days=False) == "33h"
