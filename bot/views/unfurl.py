"""Block Kit for link unfurls: what tierbot knows of a pasted helpdesk ticket or organization, or a CRM
company or account (`bot.sync.service.resolve_links`), as `chat.unfurl`'s `unfurls` map.

A ticket shows its account and tier, owner, each SLA clock (target, time left or over, paused, met or
missed) and the account's open breaches; an organization or CRM record shows the account's tier, owner
and open breaches. A record link tierbot has not stored gets one short line saying so.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from bot.sla.clock import BREACHED, Clock, Metric
from bot.sync.link_urls import LinkKind
from bot.sync.links import AccountContext, LinkContext, LinkStatus, TicketContext
from bot.text import truncate
from bot.views.blocks import STATE_ICON, Block, context, fields_section, section
from bot.views.format import duration, escape_mrkdwn, local_time, owner_text, source_name

RECORD_NAMES = {
    ("zendesk", LinkKind.TICKET): "Zendesk ticket",
    ("zendesk", LinkKind.ORGANIZATION): "Zendesk organization",
    ("hubspot", LinkKind.COMPANY): "HubSpot company",
    ("salesforce", LinkKind.COMPANY): "Salesforce account",
}
CLOCK_LABELS = {Metric.FIRST_RESPONSE: "First response", Metric.RESOLUTION: "Resolution"}
PAUSED_ICON = ":double_vertical_bar:"
SUBJECT_MAX = 150
Unfurls = dict[str, dict[str, list[Block]]]


def unfurls(links: Sequence[LinkContext], tz: tzinfo | None = None) -> Unfurls:
    """url -> {"blocks": [...]}, one entry per link (Slack matches them to the message by URL)."""
    return {link.url: {"blocks": link_blocks(link, tz)} for link in links}


def record_name(link: LinkContext) -> str:
    name = RECORD_NAMES.get((link.source, link.kind), f"{link.source} {link.kind}")
    return f"{name} {escape_mrkdwn(link.remote_id)}"


def link_blocks(link: LinkContext, tz: tzinfo | None = None) -> list[Block]:
    if link.status != LinkStatus.FOUND or link.account is None:
        return [context(f"{record_name(link)} is not known to tierbot (not synced yet, or not linked to an account).")]  # fmt: skip
    if link.ticket is not None:
        return ticket_blocks(link, link.account, link.ticket, tz)
    return account_blocks(link, link.account)


def open_breaches(account: AccountContext) -> str:
    """':red_circle: 2 breached · 1 at risk, of 5 open tickets'; 'none (3 open tickets)'."""
    tickets = f"{account.open_tickets} open ticket{'s' if account.open_tickets != 1 else ''}"
    if account.breached:
        risk = f" · {account.at_risk} at risk" if account.at_risk else ""
        return f"{STATE_ICON['breached']} {account.breached} breached{risk}, of {tickets}"
    if account.at_risk:
        return f"{STATE_ICON['at_risk']} none breached · {account.at_risk} at risk, of {tickets}"
    return f"none ({tickets})" if account.open_tickets else "none (no open tickets)"


def clock_text(clock: Clock, tz: tzinfo | None = None) -> str:
    """One SLA clock in a line: state, time left or over (business minutes: no days), the target."""
    target = f"target {duration(clock.target_minutes, days=False)}"
    left = duration(clock.minutes_left, days=False)
    if clock.stopped:
        if clock.met:
            return f":white_check_mark: met ({target})"
        return f"{STATE_ICON['breached']} missed by {left} ({target})"
    if clock.state == BREACHED:
        paused = " · paused" if clock.paused else ""
        return f"{STATE_ICON['breached']} *breached* · {left} over{paused} ({target})"
    if clock.paused:
        return f"{PAUSED_ICON} paused, waiting on the customer · {left} left ({target})"
    due = f"due in {left}, {local_time(clock.due_at, tz)}"
    if clock.state == "at_risk":
        return f"{STATE_ICON['at_risk']} *at risk* · {due} ({target})"
    return f"{STATE_ICON['ok']} on track · {due} ({target})"


def _headline_icon(ticket: TicketContext) -> str:
    states = {c.state for c in ticket.clocks if not c.stopped or c.state == BREACHED}
    for state in ("breached", "at_risk"):
        if state in states:
            return STATE_ICON[state] + " "
    return ""


def ticket_blocks(link: LinkContext, account: AccountContext, ticket: TicketContext, tz: tzinfo | None = None) -> list[Block]:  # fmt: skip
    subject = escape_mrkdwn(truncate(ticket.subject, SUBJECT_MAX)) if ticket.subject else "_no subject_"
    head = f"{_headline_icon(ticket)}*{record_name(link)}* · {subject}"
    fields = [
        f"*Account*\n{escape_mrkdwn(account.name)} · *{escape_mrkdwn(account.tier_name)}*",
        f"*Owner*\n{owner_text(account.owner, account.source)}",
        f"*Status*\n{escape_mrkdwn(ticket.status)} · {escape_mrkdwn(ticket.severity)}",
    ]
    if ticket.clocks:
        fields += [f"*{CLOCK_LABELS[c.metric]}*\n{clock_text(c, tz)}" for c in ticket.clocks]
    else:
        fields.append(f"*SLA*\nno target for {escape_mrkdwn(ticket.severity)} in this tier")
    fields.append(f"*Account's open breaches*\n{open_breaches(account)}")
    notes = []
    if ticket.target_tier:
        # The ticket keeps the targets of the tier it was opened in; say so, or the target would seem
        # to contradict the tier shown next to it.
        notes.append(f"{escape_mrkdwn(ticket.target_tier)} targets (the tier when it was opened)")
    notes.append(f"`/tier {escape_mrkdwn(truncate(account.name, 80))}` for the account's card")
    return [section(head), fields_section(fields), context(" · ".join(notes))]


def account_blocks(link: LinkContext, account: AccountContext) -> list[Block]:
    head = f"*{escape_mrkdwn(account.name)}* · {escape_mrkdwn(account.tier_name)} tier"
    fields = [
        f"*Owner*\n{owner_text(account.owner, account.source)}",
        f"*Open breaches*\n{open_breaches(account)}",
    ]
    origin = source_name(account.source) if account.source else "a CSV import"
    note = (
        f"{record_name(link)} · account data from {origin} · "
        f"`/tier {escape_mrkdwn(truncate(account.name, 80))}` for the full card"
    )
    return [section(head), fields_section(fields), context(note)]
