"""Block Kit for /tier: the account card, the choice list, no-match and usage messages."""

from __future__ import annotations

from decimal import Decimal

from bot.accounts.cards import AccountCard
from bot.accounts.lookup import Lookup, Outcome
from bot.accounts.overrides import Refusal, Refused
from bot.accounts.service import ChannelChanged, OverrideCleared, OverrideOutcome, OverrideSet
from bot.alerts.health import Direction, HealthTrend
from bot.matching import Candidate, MatchKind
from bot.policy.evaluate import Rule
from bot.policy.model import SEVERITIES, SEVERITY_LABELS, Policy
from bot.text import truncate
from bot.views import decision_ids, tier_ids
from bot.views.blocks import (
    Block,
    Message,
    actions,
    bullet_list,
    button,
    context,
    divider,
    fallback,
    fields_section,
    header,
    section,
)
from bot.views.format import channel_mention, escape_mrkdwn, local_time, money, owner_text, source_name
from bot.views.tickets import ticket_blocks


def _duration(minutes: int) -> str:
    # Hours, never days: on a business calendar "40h" is five business days, "1d16h" would mislead.
    hours, mins = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{mins}m" if mins else "") or "0m"


def sla_table(policy: Policy, tier_key: str) -> str:
    tier = policy.tier(tier_key)
    rows = [f"{'Severity':<16}{'First response':<16}{'Resolution':<12}Clock"]
    for sev in SEVERITIES:
        target = tier.sla[sev]
        rows.append(
            f"{SEVERITY_LABELS[sev]:<16}{_duration(target.first_response):<16}"
            f"{_duration(target.resolution):<12}{target.calendar}"
        )
    return "```" + "\n".join(rows) + "```"


def _reasons(card: AccountCard) -> list[str]:
    lines = []
    override = card.result.override
    for r in card.result.reasons:
        if r.rule is Rule.OVERRIDE and override is not None:
            # Rendered here rather than from r.text so the person who set it becomes a mention.
            until = f" until {override.last_day.isoformat()}" if override.last_day else ""
            lines.append(
                f"override to {card.tier.name} by {owner_text(override.set_by, none='_none named_')}{until}: {escape_mrkdwn(override.reason)}"
            )
        else:
            lines.append(escape_mrkdwn(r.text) if r.applied else f"{escape_mrkdwn(r.text)} _(no effect)_")
    return lines


ARROWS = {Direction.UP: "↑", Direction.DOWN: "↓", Direction.FLAT: "→"}


def health_text(score: int | None, trend: HealthTrend | None) -> str:
    """`72/100 ↓ -16 in 30d` and the last values (`88 › 80 › 72`); the rule is `health.health_trend`'s."""
    if score is None:
        return "_unknown_"
    if trend is None:
        return f"{score}/100"
    change = f"{trend.change:+d}".replace("-", "−")
    values = " › ".join(str(v) for v in trend.values)
    return f"{score}/100 {ARROWS[trend.direction]} {change} in {trend.days}d\n_{values}_"


def card_blocks(card: AccountCard, policy: Policy, *, shared_by: str | None = None) -> list[Block]:
    tier = card.tier
    blocks: list[Block] = [header(f"{card.name} · {tier.name}")]
    ident = [f"*Tier:* {tier.name}"]
    if card.external_id:
        ident.append(f"id `{escape_mrkdwn(card.external_id)}`")
    if card.domain:
        ident.append(escape_mrkdwn(card.domain))
    blocks.append(section("  ·  ".join(ident)))

    blocks.append(section("*Why this tier*\n" + bullet_list(_reasons(card))))
    acv = card.acv if isinstance(card.acv, Decimal) else Decimal(str(card.acv))
    health = health_text(card.health_score, card.health_trend)
    fields = [
        f"*ACV*\n{money(acv)}",
        f"*Usage criticality*\n{escape_mrkdwn(card.usage_criticality)}",
        f"*Strategic*\n{'yes' if card.strategic else 'no'}",
        f"*Health score*\n{health}",
        f"*Owner*\n{owner_text(card.owner, card.source, none='_none named_')}",
        f"*Region*\n{escape_mrkdwn(card.region or '—')}",
    ]
    if card.slack_channel:
        fields.append(f"*Alerts channel*\n{channel_mention(card.slack_channel)}")
    blocks.append(fields_section(fields))
    if card.source:
        changed = f", changed there {local_time(card.source_updated_at)}" if card.source_updated_at else ""
        if card.source_removed_at is not None:
            changed += f"; *archived or deleted there {local_time(card.source_removed_at)}* (kept here with its decisions)"
        blocks.append(context(f"Data from {source_name(card.source)}{changed}"))
    blocks.append(divider())
    blocks.append(section(f"*SLA targets* ({tier.name})\n" + sla_table(policy, tier.key)))
    entitlements = bullet_list([escape_mrkdwn(e) for e in tier.entitlements]) or "_none_"
    blocks.append(section(f"*Coverage:* {escape_mrkdwn(tier.coverage)}\n*Entitlements*\n{entitlements}"))

    if card.tickets is not None:
        blocks.extend(ticket_blocks(card.tickets))

    if card.decisions:
        lines = [
            f"*{d.short_id}* {escape_mrkdwn(truncate(d.title, 120))} · {d.status}"
            + (f" · review {d.review_date.isoformat()}" if d.review_date else "")
            for d in card.decisions
        ]
        blocks.append(section("*Decisions touching this account or tier*\n" + bullet_list(lines)))

    if shared_by:
        blocks.append(context(f"Shared by <@{shared_by}> · `/tier` for any account"))
    else:
        blocks.append(
            actions(
                [
                    button("Share in channel", tier_ids.SHARE, str(card.account_id), style="primary"),
                    button("Log a decision", decision_ids.OPEN, str(card.account_id)),
                ],
                block_id=tier_ids.ACTIONS_BLOCK,
            )
        )
    return blocks


def card_message(card: AccountCard, policy: Policy, *, shared_by: str | None = None) -> Message:
    text = fallback(f"{escape_mrkdwn(card.name)} is {escape_mrkdwn(card.tier.name)} tier")
    return {"text": text, "blocks": card_blocks(card, policy, shared_by=shared_by)}


def _choice_buttons(candidates: tuple[Candidate, ...]) -> Block:
    return actions(
        [button(c.name, f"{tier_ids.PICK}:{i}", str(c.account_id)) for i, c in enumerate(candidates[:5])],
        block_id=tier_ids.CHOICES_BLOCK,
    )


def choices_message(query: str, candidates: tuple[Candidate, ...], total: int = 0) -> Message:
    q = escape_mrkdwn(truncate(query, 100))
    blocks = [section(f"Several accounts could be *{q}*. Which one?"), _choice_buttons(candidates)]
    more = max(total, len(candidates)) - min(len(candidates), 5)
    if more > 0:
        blocks.append(context(f"{more:,} more match: add a word or use the account's id."))
    return {"text": fallback(f"Several accounts match {q}"), "blocks": blocks}


def not_found_message(query: str, suggestions: tuple[Candidate, ...]) -> Message:
    q = escape_mrkdwn(truncate(query, 100))
    blocks = [section(f"No account matches *{q}*.")]
    if suggestions:
        blocks.append(section("Nearest names:"))
        blocks.append(_choice_buttons(suggestions))
    blocks.append(
        context("Try the account's id, its domain (acme.com) or part of its name. `/tier help` for usage.")
    )
    return {"text": fallback(f"No account matches {q}"), "blocks": blocks}


USAGE = (
    "*`/tier ACCOUNT`* shows an account's support tier, why it has it, its SLA targets and entitlements.\n"
    "Search by name (typos and word order are fine, any script: `/tier アクメ`), id or domain.\n"
    "*Admins:* `/tier set ACCOUNT to TIER [until YYYY-MM-DD]: REASON` · `/tier clear ACCOUNT`\n"
    "`/tier set-channel ACCOUNT #channel` (pick the channel from Slack's list) · "
    "`/tier set-channel ACCOUNT clear`: where the account's alerts go (else its tier's alert channel)"
)


SHARE_FAILED = "Slack did not accept the shared card just now, so nothing was posted. Press *Share* again."


def help_message() -> Message:
    return {"text": "How to use /tier", "blocks": [section(USAGE)]}


def notice_message(text: str) -> Message:
    """A one-line answer (errors, confirmations); `text` must already be escaped where needed."""
    return {"text": fallback(text), "blocks": [section(text)]}


def lookup_message(result: Lookup, policy: Policy) -> Message:
    """What `/tier QUERY` answers, whatever the outcome."""
    if result.outcome is Outcome.HELP:
        return help_message()
    if result.outcome is Outcome.FOUND and result.card is not None:
        message = card_message(result.card, policy)
        if result.match is not None and result.match.kind is MatchKind.FUZZY:
            # Not what was typed: say which account this is, so a wrong guess is seen at once.
            q = escape_mrkdwn(truncate(result.query, 100))
            message["blocks"].insert(0, context(f'Showing {escape_mrkdwn(result.card.name)} for "{q}"'))
        return message
    if result.outcome is Outcome.CHOOSE:
        total = result.match.total if result.match is not None else 0
        return choices_message(result.query, result.candidates, total)
    return not_found_message(result.query, result.candidates)


ADMIN_ONLY = "Only tierbot admins (ADMIN_USER_IDS) can set or clear tier overrides. Nothing was changed."


def refusal_text(refused: Refused) -> str:
    """Why an override was not changed, in mrkdwn (the terminal strips it with `mrkdwn_to_text`)."""
    subject = escape_mrkdwn(refused.subject)
    match refused.reason:
        case Refusal.NOT_ADMIN:
            return ADMIN_ONLY
        case Refusal.SET_SYNTAX:
            return "Write it as `set ACCOUNT to TIER [until YYYY-MM-DD]: REASON`."
        case Refusal.CLEAR_SYNTAX:
            return "Write it as `clear ACCOUNT`."
        case Refusal.BAD_DATE:
            return f"`{subject}` is not a date."
        case Refusal.NO_REASON:
            return "An override needs a reason, e.g. `: renewal negotiation`."
        case Refusal.UNKNOWN_TIER:
            return f"`{subject}` is not a tier. Tiers: {', '.join(refused.options)}."
        case Refusal.ALREADY_ENDED:
            return "The override would already have ended; pick a date after today."
        case Refusal.ACCOUNT_GONE:
            return "That account no longer exists."
        case Refusal.NO_ACTIVE_OVERRIDE:
            return f"{subject} has no active override."
        case Refusal.AMBIGUOUS:
            names = ", ".join(escape_mrkdwn(name) for name in refused.options)
            return f"`{subject}` could be {names}. Use the account's id or full name."
        case Refusal.NO_MATCH:
            nearest = ", ".join(escape_mrkdwn(name) for name in refused.options)
            return f"No account matches `{subject}`." + (f" Nearest: {nearest}." if nearest else "")
        case Refusal.SAME_TIER:
            return f"The account is already *{subject}*: nothing to override."
        case Refusal.TOO_LONG:
            return f"The {subject} is too long (at most {', '.join(refused.options)} characters)."
        case Refusal.CHANNEL_SYNTAX:
            return (
                "Write it as `set-channel ACCOUNT #channel` (pick the channel from Slack's list) or "
                "`set-channel ACCOUNT clear`."
            )
        case Refusal.CHANNEL_NAME:
            return (
                f"`{subject}` reached tierbot as a plain name, not a channel. Pick the channel from the "
                "list Slack offers as you type `#`, or paste its id (C0123ABCD, at the bottom of the "
                "channel's details). Nothing was changed."
            )


def channel_message(outcome: ChannelChanged | Refused) -> Message:
    """The answer to `/tier set-channel ...`."""
    if isinstance(outcome, Refused):
        return notice_message(refusal_text(outcome))
    name = escape_mrkdwn(outcome.account)
    if outcome.channel is None:
        was = f" (was {channel_mention(outcome.previous)})" if outcome.previous else ""
        return notice_message(
            f"{name} has no channel of its own now{was}: its alerts go to its tier's alert channel."
        )
    return notice_message(f"{name}'s alerts and health drops now go to {channel_mention(outcome.channel)}.")


def override_message(outcome: OverrideOutcome) -> Message:
    """The answer to `/tier set ...` and `/tier clear ...`."""
    if isinstance(outcome, OverrideSet):
        return notice_message(f"{escape_mrkdwn(outcome.account)} is now *{outcome.tier}* (override).")
    if isinstance(outcome, OverrideCleared):
        return notice_message(
            f"Override cleared: {escape_mrkdwn(outcome.account)} is *{outcome.tier}* by the rules."
        )
    return notice_message(refusal_text(outcome))
