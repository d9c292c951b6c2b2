"""Manual tier overrides: they beat the rules while they last, and every change is kept in history."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import update

from bot.accounts.delta import Change, explain
from bot.accounts.tiering import active_override, as_override, facts_of, tier_of
from bot.accounts.tiering import record_tier as _record
from bot.policy.evaluate import evaluate
from bot.policy.model import Policy
from bot.text import clean_input
from storage.db import Database
from storage.idempotency import AlreadyClaimed, claim_in
from storage.models import Account, TierOverride
from storage.versions import ACCOUNTS, bump_version

# "/tier set Acme Corp to enterprise until 2027-03-31: renewal negotiation"
_SET = re.compile(
    r"^set\s+(?P<account>.+?)\s+to\s+(?P<tier>\S+?)(?:\s+until\s+(?P<until>\d{4}-\d{2}-\d{2}))?"
    r"(?:\s*(?:[:—–-]\s*|\s+because\s+|\s+)(?P<reason>.+))?$",
    re.IGNORECASE | re.DOTALL,
)
REASON_MAX = 2000  # characters of an override's reason kept (the Set override modal's max_length)


class Refusal(StrEnum):
    """Why an override was not set or cleared."""

    NOT_ADMIN = "not_admin"
    SET_SYNTAX = "set_syntax"
    CLEAR_SYNTAX = "clear_syntax"
    BAD_DATE = "bad_date"  # subject: the date as written
    NO_REASON = "no_reason"
    UNKNOWN_TIER = "unknown_tier"  # subject: the tier as written; options: the tier keys
    ALREADY_ENDED = "already_ended"
    ACCOUNT_GONE = "account_gone"
    NO_ACTIVE_OVERRIDE = "no_active_override"  # subject: the account's name
    AMBIGUOUS = "ambiguous"  # subject: the query; options: the names it could be
    NO_MATCH = "no_match"  # subject: the query; options: the nearest names
    SAME_TIER = "same_tier"  # subject: the tier's name (the account has it already)
    TOO_LONG = "too_long"  # subject: what is too long (the reason); options: (the limit,)
    CHANNEL_SYNTAX = "channel_syntax"  # `/tier set-channel`; subject: the last word, if any
    CHANNEL_NAME = "channel_name"  # subject: the #name typed (not an id)


@dataclass(frozen=True)
class Refused:
    reason: Refusal
    subject: str = ""
    options: tuple[str, ...] = ()


class OverrideError(ValueError):
    """A request to override that cannot be carried out; views say why from `refused`."""

    def __init__(self, refused: Refused) -> None:
        super().__init__(refused.reason.value, refused.subject)
        self.refused = refused


@dataclass(frozen=True)
class SetRequest:
    account: str
    tier: str
    until: date | None
    reason: str


def parse_set(text: str) -> SetRequest:
    return parse_clean_set(clean_input(text, 1000))


def parse_clean_set(text: str) -> SetRequest:
    """`parse_set` of a text already through `clean_input` (the /tier command is cleaned once)."""
    m = _SET.match(text)
    if not m:
        raise OverrideError(Refused(Refusal.SET_SYNTAX))
    until = None
    if m["until"]:
        try:
            until = date.fromisoformat(m["until"])
        except ValueError as exc:
            raise OverrideError(Refused(Refusal.BAD_DATE, m["until"])) from exc
    reason = (m["reason"] or "").strip()
    if not reason:
        raise OverrideError(Refused(Refusal.NO_REASON))
    return SetRequest(m["account"].strip(), m["tier"].strip(), until, reason)


def set_override(
    db: Database,
    policy: Policy,
    account_id: int,
    tier_text: str,
    reason: str,
    actor: str,
    now: datetime,
    until: date | None = None,
    delivery_key: str | None = None,
    refuse_same_tier: bool = False,
) -> tuple[str, str]:
    """Returns (account name, tier name). Replaces any active override. `refuse_same_tier`: with no
    override active, a tier the rules already give is refused (SAME_TIER) rather than pinned there;
    with one active, any tier is taken (a new last day or reason for the same tier, or another tier).

    `delivery_key` names the request (Slack's trigger_id, or user + text + timestamp): Slack may
    deliver the same signed command again within its five-minute window, and an admin's replayed
    `/tier set` must not add a second override row (and a second history entry). The replay answers
    as the first delivery did, with nothing written.
    """
    tier = policy.find_tier(tier_text)
    if tier is None:
        raise OverrideError(Refused(Refusal.UNKNOWN_TIER, tier_text, tuple(t.key for t in policy.tiers)))
    # "until 2027-03-31" holds through that day: it ends when the next one starts (UTC).
    expires = datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC) if until else None
    if expires is not None and expires <= now:
        raise OverrideError(Refused(Refusal.ALREADY_ENDED))
    try:
        return _write_override(
            db, policy, account_id, tier.key, tier.name, reason, actor, now, until, expires, delivery_key,
            refuse_same_tier,
        )  # fmt: skip
    except AlreadyClaimed:
        with db.session() as session:
            account = session.get(Account, account_id)
            if account is None:
                raise OverrideError(Refused(Refusal.ACCOUNT_GONE)) from None
            return account.name, tier.name


def _write_override(
    db: Database,
    policy: Policy,
    account_id: int,
    tier_key: str,
    tier_name: str,
    reason: str,
    actor: str,
    now: datetime,
    until: date | None,
    expires: datetime | None,
    delivery_key: str | None,
    refuse_same_tier: bool = False,
) -> tuple[str, str]:
    with db.session() as session:
        if delivery_key:
            claim_in(session, delivery_key)  # before the writes: the claim commits with them or not at all
        account = session.get(Account, account_id)
        if account is None:
            raise OverrideError(Refused(Refusal.ACCOUNT_GONE))
        before = as_override(active_override(session, account_id, now))
        # After the claim: a replay answers as the first delivery did.
        if (
            refuse_same_tier
            and before is None
            and evaluate(policy, facts_of(account), None, now).tier == tier_key
        ):
            raise OverrideError(Refused(Refusal.SAME_TIER, tier_name))
        session.execute(
            update(TierOverride)
            .where(TierOverride.account_id == account_id, TierOverride.cleared_at.is_(None))
            .values(cleared_at=now, cleared_by=actor)
        )
        session.add(
            TierOverride(
                account_id=account_id,
                tier=tier_key,
                reason=reason[:REASON_MAX],
                set_by=actor,
                expires_at=expires,
                created_at=now,
            )
        )
        session.flush()
        result = tier_of(session, policy, account, now)
        until_text = f" until {until.isoformat()}" if until else ""
        facts = facts_of(account)
        delta = explain(
            policy, old_tier=account.tier, new_tier=result.tier, old_facts=facts, new_facts=facts,
            old_override=before, new_override=result.override,
        )  # fmt: skip
        _record(
            session, account, result, cause="override", actor=actor, now=now, detail=f"{reason}{until_text}",
            delta=delta,
        )  # fmt: skip
        bump_version(session, ACCOUNTS)
        return account.name, tier_name


def clear_override(
    db: Database, policy: Policy, account_id: int, actor: str, now: datetime
) -> tuple[str, str]:
    """Returns (account name, tier name after the rules apply again)."""
    with db.session() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise OverrideError(Refused(Refusal.ACCOUNT_GONE))
        before = as_override(active_override(session, account_id, now))
        if before is None:
            raise OverrideError(Refused(Refusal.NO_ACTIVE_OVERRIDE, account.name))
        session.execute(
            update(TierOverride)
            .where(TierOverride.account_id == account_id, TierOverride.cleared_at.is_(None))
            .values(cleared_at=now, cleared_by=actor)
        )
        session.flush()
        result = tier_of(session, policy, account, now)
        facts = facts_of(account)
        delta = explain(
            policy, old_tier=account.tier, new_tier=result.tier, old_facts=facts, new_facts=facts,
            old_override=before, override_ended=Change.OVERRIDE_CLEARED, actor=actor,
        )  # fmt: skip
        _record(session, account, result, cause="override-cleared", actor=actor, now=now, delta=delta)
        bump_version(session, ACCOUNTS)
        return account.name, policy.tier(result.tier).name
