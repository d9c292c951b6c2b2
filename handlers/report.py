"""/sla report [7d|30d|quarter]: the per-tier report, ephemeral. Thin: parse, call, render.

The report reads up to a quarter and a half of tickets (seconds over a million), so the command is
acked at once with a "working on it" line and the report comes from a lazy listener through the
response_url (valid 30 minutes): Slack's 3 s bound applies to the ack only.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.reports import service as reports
from bot.text import clean_input
from bot.views import report as report_view
from handlers._context import services_of
from handlers._guard import guarded

log = logging.getLogger(__name__)


def _request(text: str) -> tuple[str, reports.ReportPeriod | None, str]:
    """(verb, period, raw period word) of a /sla command."""
    tokens = clean_input(text, 200).split()
    verb = tokens[0].casefold() if tokens else "help"
    word = tokens[1] if len(tokens) > 1 else ""
    return verb, reports.parse_period(word), word


@guarded
def sla_ack(ack: Ack, command: dict[str, Any]) -> None:
    verb, period, word = _request(command.get("text", ""))
    if verb != "report":
        ack(response_type="ephemeral", **report_view.sla_help_message())
    elif period is None:
        ack(response_type="ephemeral", **report_view.unknown_period_message(word))
    else:
        ack(response_type="ephemeral", **report_view.working_message(period))


def sla_report(command: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    """Lazy: compute the report and answer through the response_url."""
    verb, period, _ = _request(command.get("text", ""))
    if verb != "report" or period is None:
        return
    services = services_of(context)
    try:
        with services.db.session() as session:
            report = reports.tier_report(
                session,
                services.policy,
                period,
                now=services.clock(),
                at_risk_share=services.settings.at_risk_share,
                weekly=False,  # no chart in an ephemeral answer
            )
    except Exception:
        log.exception("/sla report %s failed", period)
        respond(response_type="ephemeral", replace_original=True, **report_view.failed_message())
        return
    respond(response_type="ephemeral", replace_original=True, **report_view.report_message(report))


def register(app: App) -> None:
    app.command("/sla")(ack=sla_ack, lazy=[sla_report])
