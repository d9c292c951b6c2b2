"""`/tier QUERY` as data: help, the account's card, a choice between accounts, or no match."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.accounts.cards import AccountCard, card_valid_until
from bot.matching import AccountIndex, Candidate, Match, MatchKind

HELP_WORDS = frozenset(("help", "?", "-h", "--help"))


class Outcome(StrEnum):
    HELP = "help"
    FOUND = "found"
    CHOOSE = "choose"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class Lookup:
    outcome: Outcome
    query: str
    card: AccountCard | None = None
    candidates: tuple[Candidate, ...] = field(default_factory=tuple)
    match: Match | None = None
    # Until when this answer holds while no data change: the card's clock-driven parts move.
    valid_until: datetime | None = None


def resolve(
    index: AccountIndex, query: str, now: datetime, card_of: Callable[[int], AccountCard | None]
) -> Lookup:
    """What `query` (already through `clean_input`) names; `card_of` reads the card of a match."""
    if not query or query.casefold() in HELP_WORDS:
        return Lookup(Outcome.HELP, query)
    match = index.match(query)
    if match.account_id is not None:
        card = card_of(match.account_id)
        if card is not None:
            return Lookup(
                Outcome.FOUND, query, card=card, match=match, valid_until=card_valid_until(card, now)
            )
        # The account vanished between index refresh and read: fall through to "not found".
        return Lookup(Outcome.NOT_FOUND, query, match=match)
    if match.kind is MatchKind.AMBIGUOUS:
        return Lookup(Outcome.CHOOSE, query, candidates=match.candidates, match=match)
    return Lookup(Outcome.NOT_FOUND, query, candidates=match.candidates, match=match)
