"""What tierbot knows about a pasted record link: the account behind it (tier, owner, open breaches) and,
for a ticket, where its SLA clocks stand now.

Links resolve through what the syncs stored: a CRM record by `accounts.(source, source_id)`, a helpdesk
organization by its `sync_links` row, a ticket by its id in `tickets` (synced tickets keep the
helpdesk's id). A link whose record tierbot has not stored resolves to UNKNOWN, never an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.policy.model import Policy
from bot.sla.clock import AT_RISK, BREACHED, Clock, first_response_clock, resolution_clock, sla_target
from bot.sla.service import open_ticket_states, served_tier
from bot.sla.state import events_by_ticket
from bot.sync.helpdesk import ORGS
from bot.sync.link_urls import ZENDESK, LinkKind, LinkSources, LinkTarget, parse_link
from storage.models import Account
from storage.models.sync import SyncLink
from storage.models.tickets import Ticket, is_open

MAX_LINKS = 5  # Slack sends at most 5 links per link_shared event; more are not read
_WORST = {BREACHED: 0, AT_RISK: 1}


class LinkStatus(StrEnum):
    FOUND = "found"
    UNKNOWN = "unknown"  # a record link of a configured source that tierbot has not stored


@dataclass(frozen=True, slots=True)
class AccountContext:
    account_id: int
    name: str
    tier: str  # the tier key
    tier_name: str
    owner: str | None
    source: str | None  # where the account's data comes from (hubspot, salesforce) or None (CSV)
    open_tickets: int
    breached: int  # open tickets with a breached clock
    at_risk: int  # open tickets at risk, none breached


@dataclass(frozen=True, slots=True)
class TicketContext:
    ticket_id: str
    subject: str
    severity: str
    status: str
    assignee: str | None
    # The tier whose targets the ticket runs on, by name, when it is not the account's current tier (the
    # ticket keeps the targets of the tier it was opened in).
    target_tier: str | None
    clocks: tuple[Clock, ...]  # first response, then resolution; empty when the policy has no target


@dataclass(frozen=True, slots=True)
class LinkContext:
    url: str
    source: str  # zendesk | hubspot | salesforce
    kind: LinkKind
    remote_id: str
    status: LinkStatus
    account: AccountContext | None = None
    ticket: TicketContext | None = None


def targets_of(urls: Iterable[object], sources: LinkSources) -> list[LinkTarget]:
    """The first MAX_LINKS distinct URLs that point at a record of a configured source."""
    found: list[LinkTarget] = []
    seen: set[str] = set()
    for url in urls:
        if not isinstance(url, str) or url in seen:
            continue
        seen.add(url)
        target = parse_link(url, sources)
        if target is not None:
            found.append(target)
        if len(seen) >= MAX_LINKS:
            break
    return found


def _account_ids(session: Session, targets: Sequence[LinkTarget]) -> dict[LinkTarget, int]:
    """Each non-ticket target's account id, in one query per kind of record."""
    out: dict[LinkTarget, int] = {}
    orgs = [t for t in targets if t.kind == LinkKind.ORGANIZATION]
    if orgs:
        rows = session.execute(
            select(SyncLink.remote_id, SyncLink.account_id).where(
                SyncLink.source == ORGS, SyncLink.remote_id.in_([t.remote_id for t in orgs])
            )
        )
        linked = {remote_id: account_id for remote_id, account_id in rows}
        out.update({t: linked[t.remote_id] for t in orgs if t.remote_id in linked})
    for source in {t.source for t in targets if t.kind == LinkKind.COMPANY}:
        records = [t for t in targets if t.kind == LinkKind.COMPANY and t.source == source]
        rows = session.execute(
            select(Account.source_id, Account.id).where(
                Account.source == source, Account.source_id.in_([t.remote_id for t in records])
            )
        )
        by_id = {sid: aid for sid, aid in rows if sid is not None}
        out.update({t: by_id[t.remote_id] for t in records if t.remote_id in by_id})
    return out


def _account(session: Session, policy: Policy, now: datetime, account_id: int, share: float) -> AccountContext | None:  # fmt: skip
    row = session.execute(
        select(Account.name, Account.tier, Account.owner, Account.source).where(Account.id == account_id)
    ).one_or_none()
    if row is None:
        return None
    worst: dict[str, int] = {}  # ticket id -> its worse clock: 0 breached, 1 at risk, 2 fine
    for state in open_ticket_states(session, policy, now, share, account_id=account_id):
        worst[state.ticket_id] = min(worst.get(state.ticket_id, 2), _WORST.get(state.state, 2))
    # Counted apart from the clocks: a ticket whose tier has no target in the policy has no clock.
    open_count = session.scalar(
        select(func.count()).select_from(Ticket).where(Ticket.account_id == account_id, is_open())
    )
    return AccountContext(
        account_id,
        row.name,
        row.tier,
        policy.tier_name(row.tier),  # the stored key for a tier the policy no longer has
        row.owner,
        row.source,
        int(open_count or 0),
        sum(1 for w in worst.values() if w == 0),
        sum(1 for w in worst.values() if w == 1),
    )


def _ticket(session: Session, policy: Policy, now: datetime, ticket: Ticket, account_tier: str, share: float) -> TicketContext:  # fmt: skip
    tier = served_tier(policy, ticket.sla_tier, account_tier, ticket.severity)
    found = sla_target(policy, tier, ticket.severity)
    clocks: tuple[Clock, ...] = ()
    if found is not None:
        target, calendar = found
        events = events_by_ticket(session, [ticket.id]).get(ticket.id, [])
        clocks = (
            first_response_clock(ticket, target, calendar, now, share),
            resolution_clock(ticket, events, target, calendar, now, share),
        )
    target_tier = policy.tier_name(tier) if tier != account_tier else None
    return TicketContext(
        ticket.id, ticket.subject, ticket.severity, ticket.status, ticket.assignee, target_tier, clocks
    )


def resolve_links(
    session: Session,
    policy: Policy,
    now: datetime,
    sources: LinkSources,
    urls: Iterable[object],
    at_risk_share: float = 0.25,
) -> list[LinkContext]:
    """One LinkContext per recognised record link (at most MAX_LINKS), in the order pasted; URLs of
    other hosts, other pages or malformed ones are left out."""
    targets = targets_of(urls, sources)
    if not targets:
        return []
    account_ids = _account_ids(session, targets)
    tickets = [t.remote_id for t in targets if t.kind == LinkKind.TICKET and t.source == ZENDESK]
    ticket_rows: dict[str, Ticket] = {}
    if tickets:
        ticket_rows = {r.id: r for r in session.scalars(select(Ticket).where(Ticket.id.in_(tickets)))}
    accounts: dict[int, AccountContext | None] = {}

    def account(account_id: int) -> AccountContext | None:
        if account_id not in accounts:
            accounts[account_id] = _account(session, policy, now, account_id, at_risk_share)
        return accounts[account_id]

    out: list[LinkContext] = []
    for target in targets:
        link = LinkContext(target.url, target.source, target.kind, target.remote_id, LinkStatus.UNKNOWN)
        if target.kind == LinkKind.TICKET:
            row = ticket_rows.get(target.remote_id)
            ctx = account(row.account_id) if row is not None else None
            if row is not None and ctx is not None:
                ticket = _ticket(session, policy, now, row, ctx.tier, at_risk_share)
                link = replace(link, status=LinkStatus.FOUND, account=ctx, ticket=ticket)
        elif (account_id := account_ids.get(target)) is not None and (ctx := account(account_id)) is not None:
            link = replace(link, status=LinkStatus.FOUND, account=ctx)
        out.append(link)
    return out
