"""How an account's tickets read on the /tier card: open tickets against SLA and the last 30 days.

Takes the SLA capability's data (`bot.sla.briefs`) and writes the words; durations go through
`bot.views.format.duration`.
"""

from __future__ import annotations

from bot.sla.briefs import RecentFigures, TicketLine, TicketSummary
from bot.sla.clock import Metric
from bot.text import truncate
from bot.views.blocks import STATE_ICON, Block, bullet_list, context, section
from bot.views.format import duration, escape_mrkdwn

METRIC_LABELS = {Metric.FIRST_RESPONSE: "first response", Metric.RESOLUTION: "resolution"}
LINES_TEXT_MAX = 2800  # the bullet list's share of the section (3000) once the headline is in


def due_text(metric: Metric, minutes_left: int, paused: bool) -> str:
    """'first response due in 1h 20m', 'resolution paused, 3h 50m left', 'resolution 3h over'.
    Business minutes, so no days: on a business calendar '33h' is four working days, '1d 9h' misleads."""
    label = METRIC_LABELS[metric]
    left = duration(minutes_left, days=False)
    if minutes_left < 0:
        return f"{label} {left} over"
    if paused:
        return f"{label} paused, {left} left"
    return f"{label} due in {left}"


def line_text(line: TicketLine) -> str:
    # A ticket opened under another tier keeps that tier's targets: say so, or "31h over" would seem
    # to contradict the SLA table above it.
    origin = f" · {line.target_tier} target (tier when opened)" if line.target_tier else ""
    return (
        f"{STATE_ICON.get(line.state, '')} `{escape_mrkdwn(line.ticket_id)}` "
        f"{escape_mrkdwn(truncate(line.subject, 80))} · {line.severity} · "
        f"{due_text(line.metric, line.minutes_left, line.paused)}{origin}"
    )


def recent_fields(figures: RecentFigures) -> dict[str, str]:
    """Label -> value, in the card's order ('MTTR' -> '6h 10m'); what was not measured is left out."""
    out = {"Tickets": str(figures.tickets)}
    if figures.mtta_minutes is not None:
        out["MTTA"] = duration(figures.mtta_minutes)
    if figures.mttr_minutes is not None:
        out["MTTR"] = duration(figures.mttr_minutes)
    if figures.sla_attainment is not None:
        out["SLA attainment"] = f"{figures.sla_attainment * 100:.0f}%"
    if figures.csat_avg is not None:
        out["CSAT"] = f"{figures.csat_avg:.1f} / 5"
    return out


def ticket_blocks(summary: TicketSummary) -> list[Block]:
    """The card's ticket section: a headline with the worst open tickets, then the 30-day figures."""
    head = f"*Open tickets:* {summary.open_count} · {summary.breached} breached · {summary.at_risk} at risk"
    lines = [line_text(line) for line in summary.lines]
    blocks = [section(head + ("\n" + bullet_list(lines, LINES_TEXT_MAX) if lines else ""))]
    if summary.last_30_days is not None:
        fields = recent_fields(summary.last_30_days)
        blocks.append(context(*[f"*{label}* {value}" for label, value in fields.items()]))
    return blocks
