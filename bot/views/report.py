"""The per-tier report in words: one line per measure with its change against the previous period,
as a Slack message (`/sla report`, the weekly post) and as rows for the terminal (`tierbot report`).

Every number is formatted here (durations, money, shares); the service gives plain values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from bot.reports.service import (
    PeriodMetrics,
    ReportPeriod,
    ReportSubscribed,
    ReportUnsubscribed,
    TierReport,
    TierRow,
)
from bot.views import report_ids
from bot.views.blocks import context, divider, fallback, header, section
from bot.views.digest_subs import describe_cadence, notice
from bot.views.format import duration, escape_mrkdwn, local_time, money

NA = "n/a"
PERIOD_WORDS = {"7d": "last 7 days", "30d": "last 30 days", "quarter": "last quarter (13 weeks)"}


@dataclass(frozen=True)
class MeasureLine:
    tier: str
    measure: str
    current: str
    previous: str
    change: str


def _minutes(v: float | None) -> str:
    return NA if v is None else duration(v)


def _pct(v: float | None) -> str:
    return NA if v is None else f"{v * 100:.1f}%"


def _signed(v: float, text: str) -> str:
    return "±0" if v == 0 else ("+" if v > 0 else "-") + text


def _delta_minutes(a: float | None, b: float | None) -> str:
    return NA if a is None or b is None else _signed(a - b, duration(abs(a - b)))


def _delta_pct(a: float | None, b: float | None) -> str:
    return NA if a is None or b is None else _signed(a - b, f"{abs(a - b) * 100:.1f} pts")


def _delta_int(a: int, b: int) -> str:
    return _signed(a - b, f"{abs(a - b):,}")


def _delta_money(a: Decimal | None, b: Decimal | None) -> str:
    return NA if a is None or b is None else _signed(float(a - b), money(abs(a - b)))


def _mix(m: PeriodMetrics) -> str:
    return " ".join(f"{sev} {share * 100:.0f}%" for sev, share in m.severity_mix.items()) or NA


def _csat(v: float | None) -> str:
    return NA if v is None else f"{v:.2f}/5"


def _delta_csat(a: float | None, b: float | None) -> str:
    return NA if a is None or b is None else _signed(a - b, f"{abs(a - b):.2f}")


def _cost(v: Decimal | None) -> str:
    return NA if v is None else money(v)


Metric = Callable[[PeriodMetrics, PeriodMetrics], tuple[str, str, str]]

# (label, current/previous/change) for the ticket measures, in the report's order.
TICKET_MEASURES: tuple[tuple[str, Metric], ...] = (
    ("Tickets", lambda c, p: (f"{c.tickets:,}", f"{p.tickets:,}", _delta_int(c.tickets, p.tickets))),
    ("Severity mix", lambda c, p: (_mix(c), _mix(p), "")),
    ("MTTA", lambda c, p: (_minutes(c.mtta_minutes), _minutes(p.mtta_minutes), _delta_minutes(c.mtta_minutes, p.mtta_minutes))),
    ("MTTR", lambda c, p: (_minutes(c.mttr_minutes), _minutes(p.mttr_minutes), _delta_minutes(c.mttr_minutes, p.mttr_minutes))),
    ("First-contact resolution", lambda c, p: (_pct(c.fcr_share), _pct(p.fcr_share), _delta_pct(c.fcr_share, p.fcr_share))),
    ("First-response attainment", lambda c, p: (_pct(c.first_response_attainment), _pct(p.first_response_attainment), _delta_pct(c.first_response_attainment, p.first_response_attainment))),
    ("Resolution attainment", lambda c, p: (_pct(c.resolution_attainment), _pct(p.resolution_attainment), _delta_pct(c.resolution_attainment, p.resolution_attainment))),
    ("CSAT", lambda c, p: (_csat(c.csat_avg), _csat(p.csat_avg), _delta_csat(c.csat_avg, p.csat_avg))),
    ("Support cost per account", lambda c, p: (_cost(c.support_cost_per_account), _cost(p.support_cost_per_account), _delta_money(c.support_cost_per_account, p.support_cost_per_account))),
)  # fmt: skip


def tier_lines(row: TierRow) -> list[MeasureLine]:
    """Every measure of one tier. Accounts and ACV are today's; their change is the tier moves in
    the period, so their 'previous' is today's figure less those moves."""
    lines = [
        MeasureLine(row.name, "Accounts", f"{row.accounts:,}", f"{row.accounts - row.accounts_change:,}",
                    _signed(row.accounts_change, f"{abs(row.accounts_change):,}")),
        MeasureLine(row.name, "ACV", money(row.acv), money(row.acv - row.acv_change),
                    _signed(float(row.acv_change), money(abs(row.acv_change)))),
    ]  # fmt: skip
    for label, fn in TICKET_MEASURES:
        current, previous, change = fn(row.current, row.previous)
        lines.append(MeasureLine(row.name, label, current, previous, change))
    return lines


def report_lines(report: TierReport) -> list[MeasureLine]:
    return [line for row in report.rows for line in tier_lines(row)]


def title(report: TierReport) -> str:
    words = PERIOD_WORDS.get(report.period.value, report.period.value)
    return f"Per-tier support report, {words}"


def span(report: TierReport) -> str:
    day = "%d %b %Y"
    return (
        f"{report.start:{day}} – {report.last_day:{day}} (UTC days), against "
        f"{report.previous_start:{day}} – {report.start - timedelta(days=1):{day}}. "
        "Changes are this period minus the previous one."
    )


def report_message(report: TierReport, *, chart_note: str | None = None) -> dict[str, Any]:
    """The report as one Slack message: a section per tier, one line per measure."""
    blocks: list[dict[str, Any]] = [
        header(title(report)),
        context(escape_mrkdwn(span(report))),
    ]
    if report.empty:
        blocks.append(section("No accounts or tickets in this period or the one before."))
    for row in report.rows:
        if not (row.accounts or row.current.tickets or row.previous.tickets):
            continue
        text = "\n".join(
            f"*{escape_mrkdwn(line.measure)}*: {escape_mrkdwn(line.current)}"
            + (f"  ({escape_mrkdwn(line.change)})" if line.change and line.change != NA else "")
            for line in tier_lines(row)
        )
        blocks.append(divider())
        blocks.append(
            section(f"*{escape_mrkdwn(row.name)}*\n{text}", block_id=report_ids.TIER_BLOCK_PREFIX + row.tier)
        )
    blocks.append(
        context(
            "MTTA and MTTR are wall-clock means; attainment counts open tickets already past a target as "
            "missed; accounts and ACV are today's, changed by tier moves in the period."
        )
    )
    if chart_note:
        blocks.append(context(escape_mrkdwn(chart_note)))
    return {"text": fallback(title(report)), "blocks": blocks}


def report_table(report: TierReport) -> str:
    """Plain text columns for a terminal or a log."""
    head = ("Tier", "Measure", "Now", "Before", "Change")
    rows = [head, *((x.tier, x.measure, x.current, x.previous, x.change) for x in report_lines(report))]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    body = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join([title(report), span(report), "", *body])


def report_markdown(report: TierReport) -> str:
    out = [
        f"# {title(report)}",
        "",
        span(report),
        "",
        "| Tier | Measure | Now | Before | Change |",
        "|---|---|---|---|---|",
    ]
    for line in report_lines(report):
        cells = (line.tier, line.measure, line.current, line.previous, line.change)
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(out) + "\n"


def working_message(period: ReportPeriod) -> dict[str, Any]:
    words = PERIOD_WORDS.get(period.value, period.value)
    return {"text": f"Working on the per-tier report for the {words}…"}


def unknown_period_message(word: str) -> dict[str, Any]:
    return {
        "text": f"`{escape_mrkdwn(word)}` is not a period I know. Try `/sla report 7d`, `30d` or `quarter`."
    }


def sla_help_message() -> dict[str, Any]:
    return {
        "text": "`/sla report [7d|30d|quarter]` shows the per-tier support report (MTTA, MTTR, first-contact "
        "resolution, attainment, CSAT, cost per account) against the previous period. Default: 30d."
    }


def failed_message() -> dict[str, Any]:
    return {"text": "The report could not be computed just now (logged). Try again in a minute."}


# --- /digest subscribe ... weekly-report -------------------------------------------------------------


def weekly_subscribed_message(result: ReportSubscribed) -> dict[str, Any]:
    sub, nxt = result.subscription, result.next_post
    when = local_time(nxt.at, sub.cadence.zone) if nxt is not None else "not within a year"
    verb = "Changed the weekly report of" if result.replaced else "Subscribed"
    text = (
        f":bar_chart: {verb} <#{sub.channel}>{'' if result.replaced else ' to the weekly per-tier report'}: "
        f"{escape_mrkdwn(describe_cadence(sub.cadence))}."
    )
    blocks = [section(text), context(f"Next: *{when}*. `/digest unsubscribe weekly-report` stops it.")]
    plain = f"Weekly per-tier report: {escape_mrkdwn(describe_cadence(sub.cadence))}"
    return {"text": fallback(plain), "blocks": blocks}


def weekly_unsubscribed_message(result: ReportUnsubscribed) -> dict[str, Any]:
    if result.removed:
        return notice(f"<#{result.channel}> will get no more weekly per-tier reports.")
    return notice(f"<#{result.channel}> is not subscribed to the weekly report; nothing changed.")
