"""Block Kit for a tier-change alert in TIER_CHANGES_CHANNEL."""

from __future__ import annotations

from bot.tierchanges.service import TierChangeAlert
from bot.views import decision_ids
from bot.views.blocks import Message, actions, button, context, fallback, section
from bot.views.format import escape_mrkdwn, local_time

CAUSES = {
    "sync": "a CRM sync",
    "import": "an import",
    "policy": "a policy change",
    "override": "an override",
    "override-cleared": "an override ending",
}


def alert_message(alert: TierChangeAlert) -> Message:
    name = escape_mrkdwn(alert.name)
    moved = f"*{name}* moved from *{escape_mrkdwn(alert.from_name)}* to *{escape_mrkdwn(alert.to_name)}*"
    why = escape_mrkdwn(alert.reason) if alert.reason else "_no rule recorded_"
    blocks = [
        section(f":arrows_counterclockwise: {moved}\n*What made the difference:* {why}"),
        context(
            f"After {CAUSES.get(alert.cause, escape_mrkdwn(alert.cause))}, {local_time(alert.at)} · "
            f"`/tier set {name} to TIER: reason` to override"
        ),
        actions([button("Log a decision", decision_ids.OPEN, str(alert.account_id), style="primary")]),
    ]
    return {
        "text": fallback(f"{alert.name} moved from {alert.from_name} to {alert.to_name}"),
        "blocks": blocks,
    }
