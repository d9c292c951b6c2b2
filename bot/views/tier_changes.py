"""Block Kit for a tier-change alert in TIER_CHANGES_CHANNEL and its Set override modal."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from bot.accounts.delta import Change, Delta, Effect
from bot.accounts.overrides import REASON_MAX, Refusal, Refused
from bot.accounts.service import OverrideSet
from bot.policy.model import Policy
from bot.text import truncate
from bot.tierchanges.service import TierChangeAlert
from bot.views import decision_ids
from bot.views import tier_change_ids as ids
from bot.views.blocks import Message, actions, button, context, fallback, plain_text, section
from bot.views.format import escape_mrkdwn, local_time, mention, money

CAUSES = {
    "sync": "a CRM sync",
    "import": "an import",
    "policy": "a policy change",
    "override": "an override",
    "override-cleared": "an override ending",
}
QUOTE_MAX = 300  # an override's reason quoted in an alert; the full text is in /tier history


def _amount(text: str | None) -> str:
    try:
        return money(Decimal(text or ""))
    except InvalidOperation:
        return escape_mrkdwn(text or "?")


def _tiers(steps: int | None) -> str:
    return "one tier" if (steps or 1) == 1 else f"{steps} tiers"


def _quoted(reason: str | None) -> str:
    return f"“{escape_mrkdwn(truncate(reason or '', QUOTE_MAX))}”"


def delta_sentence(d: Delta) -> str:
    """One changed input as the alert says it: "ACV $24,000 → $26,500 crossed $25,000"."""
    name = escape_mrkdwn(d.tier_name or d.tier or "?")
    match d.change:
        case Change.ACV:
            verb = "crossed" if d.effect is Effect.RAISED else "fell below"
            return f"ACV {_amount(d.old)} → {_amount(d.new)} {verb} {_amount(d.threshold)} ({name})"
        case Change.STRATEGIC:
            if d.new == "true":
                return f"strategic flag set: lifted {_tiers(d.steps)}"
            return f"strategic flag cleared: no longer lifted {_tiers(d.steps)}"
        case Change.CRITICALITY:
            levels = f"usage criticality {escape_mrkdwn(d.old or '?')} → {escape_mrkdwn(d.new or '?')}"
            if d.effect is Effect.RAISED:
                return f"{levels}: raised the floor to {name}"
            return f"{levels}: the {name} floor no longer applies"
        case Change.OVERRIDE_SET:
            until = f" until {escape_mrkdwn(d.until)}" if d.until else ""
            return f"override to {name} set by {mention(d.by or '?')}{until}: {_quoted(d.reason)}"
        case Change.OVERRIDE_CLEARED:
            return f"override to {name} cleared by {mention(d.by or '?')} (it said {_quoted(d.reason)})"
        case Change.OVERRIDE_EXPIRED:
            return (
                f"override to {name} by {mention(d.by or '?')} ended after {escape_mrkdwn(d.until or '?')} "
                f"(it said {_quoted(d.reason)})"
            )
        case Change.THRESHOLD:
            return f"{name} threshold {_amount(d.old)} → {_amount(d.new)}"
        case Change.LIFT:
            return f"strategic lift {escape_mrkdwn(d.old or '0')} → {escape_mrkdwn(d.new or '0')} tier(s)"
        case Change.FLOOR:
            old, new = (escape_mrkdwn(n) if n else "none" for n in (d.old_name, d.new_name))
            return f"{escape_mrkdwn(d.subject or '?')} usage floor {old} → {new}"
    return escape_mrkdwn(d.change)  # pragma: no cover  (every Change is matched above)


def difference(alert: TierChangeAlert) -> str:
    """The deltas as one line; the recorded rules for history entries that have none."""
    if alert.deltas:
        return "; ".join(delta_sentence(d) for d in alert.deltas)
    return escape_mrkdwn(alert.reason) if alert.reason else "_no rule recorded_"


def alert_message(alert: TierChangeAlert) -> Message:
    # Escaped in the notification text too: Slack reads `text` as mrkdwn, so a company named
    # "<!channel>" would ping the whole channel.
    name = escape_mrkdwn(alert.name)
    to_name, from_name = escape_mrkdwn(alert.to_name), escape_mrkdwn(alert.from_name)
    if alert.back:
        moved = f"*{name}* is back to *{to_name}* (from *{from_name}*)"
        plain = f"{name} is back to {to_name}"
    else:
        moved = f"*{name}* moved from *{from_name}* to *{to_name}*"
        plain = f"{name} moved from {from_name} to {to_name}"
    notes = [f"After {CAUSES.get(alert.cause, escape_mrkdwn(alert.cause))}, {local_time(alert.at)}"]
    if alert.moves > 1:
        notes.append(f"net of {alert.moves} changes in the quiet window")
    blocks = [
        section(f":arrows_counterclockwise: {moved}\n*What made the difference:* {difference(alert)}"),
        context(" · ".join(notes)),
        actions(
            [
                button("Log a decision", decision_ids.OPEN, str(alert.account_id), style="primary"),
                button("Set override", ids.SET_OVERRIDE, str(alert.account_id)),
            ]
        ),
    ]
    return {"text": fallback(plain), "blocks": blocks}


def override_modal(account_id: int, account: str, current_tier: str, policy: Policy) -> dict[str, Any]:
    """Set override on one account: tier, reason (required), last day (optional)."""
    options = [{"text": plain_text(truncate(t.name, 75)), "value": t.key} for t in policy.tiers]
    tier_select: dict[str, Any] = {"type": "static_select", "action_id": ids.TIER_INPUT, "options": options}
    tier_select["placeholder"] = plain_text("Choose a tier")
    current = policy.tier_name(current_tier)
    return {
        "type": "modal",
        "callback_id": ids.OVERRIDE_MODAL,
        "private_metadata": str(account_id),
        "title": plain_text("Set override"),
        "submit": plain_text("Set override"),
        "close": plain_text("Cancel"),
        "blocks": [
            section(
                f"Override the tier of *{escape_mrkdwn(truncate(account, 200))}* "
                f"(now *{escape_mrkdwn(current)}*). It beats the rules until it is cleared or ends."
            ),
            {
                "type": "input",
                "block_id": ids.TIER_BLOCK,
                "label": plain_text("Tier"),
                "element": tier_select,
            },
            {
                "type": "input",
                "block_id": ids.REASON_BLOCK,
                "label": plain_text("Reason"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.REASON_INPUT,
                    "multiline": True,
                    "max_length": REASON_MAX,
                },
            },
            {
                "type": "input",
                "block_id": ids.UNTIL_BLOCK,
                "optional": True,
                "label": plain_text("Last day (optional)"),
                "hint": plain_text("The override holds through this day (UTC), then the rules apply again."),
                "element": {"type": "datepicker", "action_id": ids.UNTIL_INPUT},
            },
        ],
    }


def override_errors(refused: Refused) -> dict[str, str]:
    """A refused Set override as the modal's field errors (plain text, under the field at fault)."""
    match refused.reason:
        case Refusal.NO_REASON:
            return {ids.REASON_BLOCK: "An override needs a reason."}
        case Refusal.TOO_LONG:
            return {ids.REASON_BLOCK: f"At most {', '.join(refused.options)} characters, please."}
        case Refusal.SAME_TIER:
            return {ids.TIER_BLOCK: f"The account is already {refused.subject}: choose another tier."}
        case Refusal.UNKNOWN_TIER:
            return {ids.TIER_BLOCK: "Choose one of the tiers listed."}
        case Refusal.ALREADY_ENDED | Refusal.BAD_DATE:
            return {ids.UNTIL_BLOCK: "The last day must be today or later."}
        case Refusal.NOT_ADMIN:
            return {ids.TIER_BLOCK: "Only tierbot admins can set overrides."}
        case _:
            return {ids.TIER_BLOCK: "That account no longer exists."}


def override_done(done: OverrideSet) -> str:
    return (
        f":white_check_mark: *{escape_mrkdwn(done.account)}* is now *{escape_mrkdwn(done.tier)}* (override)."
    )


NOT_ADMIN = "Only tierbot admins can set overrides (ADMIN_USER_IDS)."
ACCOUNT_GONE = "That account no longer exists."
