"""Finding decision records, the use cases (re-exported by `service.py`): `/decision list`, App Home's
lists and the modal's account picker. Read-only; the queries themselves are in `listing.py`."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from bot.decisions.account_search import search_accounts
from bot.decisions.export import tier_name
from bot.decisions.listing import LIST_FILTERS, ListFilter, ListQuery, list_decisions
from bot.decisions.results import HomeLists, Listing, ScopeUnknown
from bot.matching import AccountIndex, MatchKind
from bot.policy.model import Policy
from storage.db import Database
from storage.models import Account


def list_records(
    db: Database, policy: Policy, index: AccountIndex, text: str, today: date, limit: int = 20
) -> Listing | ScopeUnknown:
    """`[open|due|all] [tier or account]`: the records in force (default), due or all, touching the tier
    or the account (or its tier) the rest of `text` names."""
    words = text.split()
    status = ListFilter.OPEN
    if words and words[0].casefold() in LIST_FILTERS:
        status = ListFilter(words.pop(0).casefold())
    rest = " ".join(words)
    query = ListQuery(status=status, limit=limit)
    scope: str | None = None
    with db.session() as session:
        if rest:
            found = _scope(session, policy, index, query, rest)
            if isinstance(found, ScopeUnknown):
                return found
            query, scope = found
        lines, total = list_decisions(session, query, today)
    return Listing(tuple(lines), total, status, scope)


def _scope(
    session: Session, policy: Policy, index: AccountIndex, query: ListQuery, rest: str
) -> tuple[ListQuery, str] | ScopeUnknown:
    for tier in policy.tiers:
        if rest.casefold() in (tier.key, tier.name.casefold()):
            return ListQuery(status=query.status, tier=tier.key, limit=query.limit), tier.name
    match = index.match(rest)
    account = session.get(Account, match.account_id) if match.account_id is not None else None
    if account is not None:
        about = ListQuery(
            status=query.status, account_id=account.id, account_tier=account.tier, limit=query.limit
        )
        return about, f"{account.name} (or its tier, {tier_name(policy, account.tier)})"
    if match.kind is MatchKind.AMBIGUOUS:
        return ScopeUnknown(rest, tuple(c.name for c in match.candidates[:5]))
    return ScopeUnknown(rest)


def list_lines(db: Database, status: ListFilter, limit: int, today: date) -> Listing:
    with db.session() as session:
        lines, total = list_decisions(session, ListQuery(status=status, limit=limit), today)
    return Listing(tuple(lines), total, status)


def home(db: Database, today: date, *, due_limit: int, open_limit: int) -> HomeLists:
    """What App Home shows: reviews due, then the records in force (each list cut at its limit)."""
    with db.session() as session:
        due, due_total = list_decisions(session, ListQuery(status=ListFilter.DUE, limit=due_limit), today)
        open_, open_total = list_decisions(
            session, ListQuery(status=ListFilter.OPEN, limit=open_limit), today
        )
    return HomeLists(tuple(due), due_total, tuple(open_), open_total)


def account_options(index: AccountIndex, query: str) -> list[tuple[int, str]]:
    """(account id, name) pairs for the modal's account picker, best first."""
    return search_accounts(index, query) if query else []
