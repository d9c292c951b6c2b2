"""The card's data: one Core read for the account, its override, and whether tickets or decisions name it.

The card path reads overrides with its own statement, so each case is checked against
`tiering.tier_of`, which imports and override changes use: the two must never disagree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete

from bot.accounts import service
from bot.accounts.cards import AccountCard
from bot.accounts.overrides import clear_override, set_override
from bot.accounts.tiering import tier_of
from bot.decisions.store import create_decision
from bot.services import Services
from storage.db import Database
from storage.models import Account, TierOverride
from storage.versions import ACCOUNTS, bump_version
from tests.conftest import add_account
from tests.decisions.factory import NOW, TODAY, valid_input
from tests.digest.seed import add_ticket


def account_card(services: Services, account_id: int, now: datetime | None = None) -> AccountCard | None:
    return service.card(
        services.db,
        services.accounts,
        services.policy,
        account_id,
        now or services.clock(),
        services.settings.at_risk_share,
    )


def _card_tier(services: Services, account_id: int, now: datetime) -> str:
    card = account_card(services, account_id, now)
    assert card is not None
    with services.db.session() as session:
        account = session.get(Account, account_id)
        assert account is not None
        assert tier_of(session, services.policy, account, now) == card.result
    return card.result.tier


def test_overrides_read_as_tiering_reads_them(db: Database, services: Services) -> None:
    p = services.policy
    plain = add_account(db, p, "Plain Co", 3000)
    active = add_account(db, p, "Active Co", 3000)
    expired = add_account(db, p, "Expired Co", 3000)
    cleared = add_account(db, p, "Cleared Co", 3000)
    twice = add_account(db, p, "Twice Co", 3000)
    set_override(db, p, active, "enterprise", "renewal", "UADMIN", NOW, until=date(2030, 3, 31))
    set_override(db, p, expired, "enterprise", "pilot", "UADMIN", NOW, until=date(2030, 3, 10))
    set_override(db, p, cleared, "enterprise", "pilot", "UADMIN", NOW)
    clear_override(db, p, cleared, "UADMIN", NOW + timedelta(minutes=1))
    set_override(db, p, twice, "enterprise", "first", "UADMIN", NOW)
    set_override(db, p, twice, "professional", "second", "UADMIN", NOW + timedelta(minutes=1))

    later = NOW + timedelta(days=10)  # 2030-03-14: the 03-10 override has ended, the 03-31 one holds
    assert _card_tier(services, plain, later) == "starter"
    assert _card_tier(services, active, later) == "enterprise"
    assert _card_tier(services, expired, later) == "starter"
    assert _card_tier(services, cleared, later) == "starter"
    assert _card_tier(services, twice, later) == "professional"
    card = account_card(services, active, later)
    assert card is not None and card.result.override is not None
    assert (card.result.override.reason, card.result.override.set_by) == ("renewal", "UADMIN")


def test_an_expired_newest_override_does_not_bring_back_an_older_one(
    db: Database, services: Services
) -> None:
    account = add_account(db, services.policy, "Layered Co", 3000)
    with db.session() as session:
        # Rows as a direct database edit could leave them: two uncleared overrides, the newest expired.
        for created, tier, expires in (
            (NOW - timedelta(days=30), "enterprise", None),
            (NOW - timedelta(days=1), "professional", NOW - timedelta(hours=1)),
        ):
            session.add(
                TierOverride(
                    account_id=account,
                    tier=tier,
                    reason="r",
                    set_by="U",
                    created_at=created,
                    expires_at=expires,
                )
            )
        bump_version(session, ACCOUNTS)
    assert _card_tier(services, account, NOW) == "starter"


def test_tickets_are_summarised_only_for_accounts_that_have_them(db: Database, services: Services) -> None:
    quiet = add_account(db, services.policy, "Quiet Co", 30000)
    busy = add_account(db, services.policy, "Busy Co", 30000)
    add_ticket(db, "T-1", busy, created=datetime.now(UTC) - timedelta(minutes=5))
    quiet_card = account_card(services, quiet)
    busy_card = account_card(services, busy)
    assert quiet_card is not None and quiet_card.tickets is None
    assert busy_card is not None and busy_card.tickets is not None
    assert busy_card.tickets.open_count == 1


def test_decisions_naming_the_account_or_only_its_tier(db: Database, services: Services) -> None:
    p = services.policy
    named = add_account(db, p, "Named Co", 30000)
    other = add_account(db, p, "Other Co", 30000)
    unnamed = add_account(db, p, "Unnamed Co", 30000)
    with db.session() as session:
        for title, changes in (
            ("about named", {"account_ids": [named], "tiers": []}),
            ("about other", {"account_ids": [other], "tiers": []}),
            ("about enterprise", {"tiers": ["enterprise"]}),
        ):
            create_decision(session, valid_input(title=title, **changes), actor="U1", now=NOW, today=TODAY)

    def titles(account_id: int) -> list[str]:
        card = account_card(services, account_id, NOW)
        assert card is not None
        return [d.title for d in card.decisions]

    assert titles(named) == ["about enterprise", "about named"]
    assert titles(unnamed) == ["about enterprise"]  # the tier's alone, never another account's
    assert titles(other) == ["about enterprise", "about other"]
    with db.session() as session:
        create_decision(
            session, valid_input(title="newer tier", tiers=["enterprise"]), actor="U1", now=NOW, today=TODAY
        )
    assert titles(unnamed) == ["newer tier", "about enterprise"]  # the per-tier cache follows the data


def test_a_deleted_account_has_no_card(db: Database, services: Services) -> None:
    gone = add_account(db, services.policy, "Gone Co", 3000)
    with db.session() as session:
        session.execute(delete(Account).where(Account.id == gone))
        bump_version(session, ACCOUNTS)
    assert account_card(services, gone) is None


def test_a_card_holds_one_connection_at_a_time(db: Database, services: Services) -> None:
    """Request threads and lazy listeners share the pool: a thread holding two could starve it."""
    from sqlalchemy import event

    account = add_account(db, services.policy, "Pooled Co", 30000)
    held, most = [0], [0]

    def checked_out(*_: object) -> None:
        held[0] += 1
        most[0] = max(most[0], held[0])

    def checked_in(*_: object) -> None:
        held[0] -= 1

    event.listen(db.engine, "checkout", checked_out)
    event.listen(db.engine, "checkin", checked_in)
    try:
        assert services.accounts.version_ttl == 0  # every cached() call checks the versions: the worst case
        assert account_card(services, account) is not None
    finally:
        event.remove(db.engine, "checkout", checked_out)
        event.remove(db.engine, "checkin", checked_in)
    assert most[0] == 1
