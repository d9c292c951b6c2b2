"""The accounts capability's front door: `/tier` lookups, cards, overrides, history, recompute, import.

Plain functions with explicit dependencies (the `Database`, the `AccountDirectory` holding the index
and the cache, the `Policy`, `now`, the settings values they need), returning typed results. They
know nothing of Slack: adapters render what they return with `bot.views.tier_card`.

The one /tier cache is `answer()`: a lookup, as the caller renders it, kept per query, data version
and index version until the card's clock-driven parts move (`Lookup.valid_until`). A warm hit costs
a dictionary lookup and returns the caller's rendering as it was made (the handler's serialized
JSON body). The only other entry in that cache is the tier's decisions every cold card needs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple, TextIO, TypeVar

from sqlalchemy import select

from bot.accounts import channels, overrides, tiering
from bot.accounts.cards import AccountCard, read_card
from bot.accounts.csv_rows import ProgressFn
from bot.accounts.directory import AccountDirectory
from bot.accounts.importer import ImportReport
from bot.accounts.importer import import_accounts as _import_accounts
from bot.accounts.lookup import Lookup, resolve
from bot.accounts.overrides import REASON_MAX, OverrideError, Refusal, Refused
from bot.decisions.briefs import DecisionBrief, decisions_touching
from bot.matching import STRONG, AccountIndex, MatchKind
from bot.policy.model import Policy
from bot.text import MAX_QUERY_CHARS, clean_input, storable
from storage.db import Database
from storage.models import Account, TierChange
from storage.versions import ACCOUNTS, bump_version

R = TypeVar("R")
COMMAND_CHARS = 1000  # a `set` command carries a reason; a lookup reads the first MAX_QUERY_CHARS


class Verb(StrEnum):
    LOOKUP = "lookup"
    SET = "set"
    CLEAR = "clear"
    SET_CHANNEL = "set-channel"


class TierCommand(NamedTuple):
    """What was typed after `/tier`, through `clean_input` once (a tuple: built on every /tier)."""

    verb: Verb
    text: str

    @property
    def query(self) -> str:
        # Equal to clean_input(text): `text` is clean already, and clean_input cuts last.
        return self.text[:MAX_QUERY_CHARS]


# Module constants: an enum member read costs ~100 ns, and this runs on every /tier (a warm answer
# costs ~6 µs in all).
_VERBS = {"set": Verb.SET, "clear": Verb.CLEAR, "set-channel": Verb.SET_CHANNEL}
_LOOKUP = Verb.LOOKUP


def parse_command(raw: str | None) -> TierCommand:
    text = clean_input(raw, COMMAND_CHARS)
    return TierCommand(_VERBS.get(text.split(" ", 1)[0].casefold(), _LOOKUP) if text else _LOOKUP, text)


def lookup_command(raw: str | None) -> TierCommand:
    """`raw` as a lookup whatever its first word (the terminal's `tierbot tier show QUERY`)."""
    return TierCommand(Verb.LOOKUP, clean_input(raw, COMMAND_CHARS))


# ---- lookups ---------------------------------------------------------------------------------------


def look_up(
    db: Database,
    directory: AccountDirectory,
    policy: Policy,
    command: TierCommand,
    now: datetime,
    at_risk_share: float,
) -> Lookup:
    """`/tier QUERY`: help, the card of the account it names, a choice, or no match (not memoised)."""
    return _resolve(db, directory, policy, directory.index(db), command, now, at_risk_share)


def answer(
    db: Database,
    directory: AccountDirectory,
    policy: Policy,
    command: TierCommand,
    now: datetime,
    at_risk_share: float,
    render: Callable[[Lookup, Policy], R],
) -> R:
    """`look_up`'s result as `render` makes it (with the policy it was evaluated by), memoised: the
    one /tier cache.

    Agents look up the same hot accounts over and over: with no data changed, the same index and
    the card's clock-driven parts still current, the same question has the same answer. `render` is
    part of the key (pass a module-level function: its identity is the key), so two adapters
    rendering differently never share an entry.
    """
    index, index_version = directory.versioned_index(db)

    def make() -> tuple[R, datetime | None]:
        result = _resolve(db, directory, policy, index, command, now, at_risk_share)
        return render(result, policy), result.valid_until

    return directory.cached(db, ("answer", render, command.query.casefold(), index_version), now, make)


def _resolve(
    db: Database,
    directory: AccountDirectory,
    policy: Policy,
    index: AccountIndex,
    command: TierCommand,
    now: datetime,
    at_risk_share: float,
) -> Lookup:
    def card_of(account_id: int) -> AccountCard | None:
        return card(db, directory, policy, account_id, now, at_risk_share)

    return resolve(index, command.query, now, card_of)


def card(
    db: Database,
    directory: AccountDirectory,
    policy: Policy,
    account_id: int,
    now: datetime,
    at_risk_share: float,
) -> AccountCard | None:
    """The card of one account (a picked choice, a shared card), None when it no longer exists."""

    def tier_decisions(tier: str) -> tuple[DecisionBrief, ...]:
        return directory.cached(
            db, ("tier-decisions", tier), now, lambda: (_read_tier_decisions(db, tier), None)
        )

    return read_card(db, policy, account_id, now, at_risk_share, tier_decisions)


def _read_tier_decisions(db: Database, tier: str) -> tuple[DecisionBrief, ...]:
    with db.engine.connect() as conn:
        return tuple(decisions_touching(conn, None, tier))


def _one_account(index: AccountIndex, query: str) -> int:
    match = index.match(query)
    if match.account_id is not None and (
        match.kind is MatchKind.EXACT or match.candidates[0].score >= STRONG
    ):
        # An override writes: the one plausible but weak candidate a lookup shows ('Initek' for
        # Initech, 77) is not enough to change an account's tier; the admin is asked to be precise.
        return match.account_id
    names = tuple(c.name for c in match.candidates[:5])
    reason = Refusal.AMBIGUOUS if match.kind is MatchKind.AMBIGUOUS else Refusal.NO_MATCH
    raise OverrideError(Refused(reason, query, names))


# ---- overrides -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverrideSet:
    account: str  # the account's name
    tier: str  # the tier's display name


@dataclass(frozen=True)
class OverrideCleared:
    account: str
    tier: str  # the tier the rules give again


OverrideOutcome = OverrideSet | OverrideCleared | Refused


def change_override(
    db: Database,
    directory: AccountDirectory,
    policy: Policy,
    command: TierCommand,
    actor: str,
    is_admin: bool,
    now: datetime,
    delivery_key: str | None = None,
) -> OverrideOutcome:
    """`/tier set ACCOUNT to TIER [until DATE]: REASON` and `/tier clear ACCOUNT`, for admins.

    `delivery_key` identifies the Slack delivery: a replayed `set` adds no second override."""
    if not is_admin:
        return Refused(Refusal.NOT_ADMIN)
    try:
        if command.verb is Verb.SET:
            req = overrides.parse_clean_set(command.text)
            return set_override(
                db, directory, policy, req.account, req.tier, req.reason, actor, now, req.until, delivery_key
            )
        target = command.text.split(" ", 1)[1] if " " in command.text else ""
        if not target:
            return Refused(Refusal.CLEAR_SYNTAX)
        return clear_override(db, directory, policy, target, actor, now)
    except OverrideError as exc:
        return exc.refused


def set_override(
    db: Database,
    directory: AccountDirectory,
    policy: Policy,
    account: str,
    tier: str,
    reason: str,
    actor: str,
    now: datetime,
    until: date | None = None,
    delivery_key: str | None = None,
) -> OverrideSet | Refused:
    """Override the tier of the one account `account` names; replaces any active override. The
    reason is stored as typed, less what the database refuses (`storable`)."""
    try:
        account_id = _one_account(directory.index(db), account)
        name, tier_name = overrides.set_override(
            db, policy, account_id, tier, storable(reason), actor, now, until, delivery_key
        )
    except OverrideError as exc:
        return exc.refused
    directory.invalidate()  # this process answers with the override at once, not after the TTL
    return OverrideSet(name, tier_name)


def clear_override(
    db: Database, directory: AccountDirectory, policy: Policy, account: str, actor: str, now: datetime
) -> OverrideCleared | Refused:
    try:
        name, tier_name = overrides.clear_override(
            db, policy, _one_account(directory.index(db), account), actor, now
        )
    except OverrideError as exc:
        return exc.refused
    directory.invalidate()
    return OverrideCleared(name, tier_name)


def override_target(db: Database, account_id: int) -> tuple[str, str] | None:
    """(name, tier key) of the account a Set override button names; None when it is gone."""
    with db.session() as session:
        account = session.get(Account, account_id)
        return (account.name, account.tier) if account is not None else None


def set_override_on(
    db: Database,
    directory: AccountDirectory,
    policy: Policy,
    account_id: int,
    tier: str,
    reason: str,
    actor: str,
    is_admin: bool,
    now: datetime,
    until: date | None = None,
    delivery_key: str | None = None,
) -> OverrideSet | Refused:
    """Set override on one account by id (the tier-change alert's modal). Refused: not an admin, no
    reason, a reason over REASON_MAX, with no override active the tier the rules give already, an
    unknown tier, a last day already past, an account gone. A replayed `delivery_key` answers as the
    first did. The reason is stored as typed, less what the database refuses (`storable`): every
    caller gets that here, not only the modal's handler."""
    if not is_admin:
        return Refused(Refusal.NOT_ADMIN)
    reason = storable(reason).strip()
    if not reason:
        return Refused(Refusal.NO_REASON)
    if len(reason) > REASON_MAX:
        return Refused(Refusal.TOO_LONG, "reason", (str(REASON_MAX),))
    try:
        name, tier_name = overrides.set_override(
            db, policy, account_id, tier, reason, actor, now, until, delivery_key, refuse_same_tier=True
        )
    except OverrideError as exc:
        return exc.refused
    directory.invalidate()
    return OverrideSet(name, tier_name)


# ---- the account's own channel ---------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelChanged:
    account: str
    channel: str | None  # the channel id now; None: cleared (alerts go to the tier's alert channel)
    previous: str | None


def change_channel(
    db: Database, directory: AccountDirectory, command: TierCommand, is_admin: bool
) -> ChannelChanged | Refused:
    """`/tier set-channel ACCOUNT <#C123|name>` and `/tier set-channel ACCOUNT clear`, for admins: where
    the account's alerts, escalations and health drops are posted (`accounts.slack_channel`)."""
    if not is_admin:
        return Refused(Refusal.NOT_ADMIN)
    try:
        request = channels.parse_set_channel(command.text)
        name, previous = channels.set_channel(
            db, _one_account(directory.index(db), request.account), request.channel
        )
    except OverrideError as exc:
        return exc.refused
    directory.invalidate()  # this process shows the channel at once, not after the TTL
    return ChannelChanged(name, request.channel, previous)


# ---- history, recompute, import --------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    from_tier: str | None
    to_tier: str
    cause: str
    actor: str
    detail: str


@dataclass(frozen=True)
class TierHistory:
    account: str
    entries: tuple[HistoryEntry, ...]


def tier_history(db: Database, directory: AccountDirectory, account: str) -> TierHistory | Refused:
    """Every tier change of the one account `account` names, oldest first."""
    try:
        account_id = _one_account(directory.index(db), account)
    except OverrideError as exc:
        return exc.refused
    with db.session() as session:
        found = session.get(Account, account_id)
        if found is None:
            return Refused(Refusal.ACCOUNT_GONE)
        rows = session.scalars(
            select(TierChange)
            .where(TierChange.account_id == account_id)
            .order_by(TierChange.at, TierChange.id)
        ).all()
        entries = tuple(HistoryEntry(r.at, r.from_tier, r.to_tier, r.cause, r.actor, r.detail) for r in rows)
        return TierHistory(found.name, entries)


def recompute(db: Database, policy: Policy, now: datetime, actor: str) -> int:
    """Re-evaluate every account (after a policy edit); each change is kept in history. Returns how
    many accounts changed tier."""
    with db.session() as session:
        changes = tiering.recompute(session, policy, now, actor=actor)
        if changes:
            bump_version(session, ACCOUNTS)
        return len(changes)


def import_accounts(
    db: Database,
    policy: Policy,
    path: str | os.PathLike[str] | TextIO,
    *,
    now: datetime,
    dry_run: bool = False,
    actor: str | None = None,
    progress: ProgressFn | None = None,
    max_bytes: int | None = None,
) -> ImportReport:
    """Load accounts from CSV, all rows or none (see `bot.accounts.importer`); a file over `max_bytes`
    (settings.import_max_bytes) is refused before it is read."""
    return _import_accounts(
        db, policy, path, dry_run=dry_run, actor=actor, now=now, progress=progress, max_bytes=max_bytes
    )
