"""The accounts service's typed results: what /tier, the terminal and the handlers build on."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from bot.accounts import service
from bot.accounts.lookup import Lookup, Outcome
from bot.accounts.overrides import Refusal, Refused
from bot.accounts.service import OverrideCleared, OverrideSet, Verb
from bot.policy.model import Policy
from bot.services import Services
from storage.models import TierOverride
from tests.conftest import add_account


@pytest.fixture
def accounts(services: Services) -> dict[str, int]:
    p = services.policy
    return {
        "acme": add_account(services.db, p, "Acme Corp", 32000, external_id="ACME-001"),
        "rockets": add_account(services.db, p, "Acme Rockets", 3000),
    }


def _look_up(services: Services, text: str) -> Lookup:
    command = service.parse_command(text)
    now = services.clock()
    return service.look_up(services.db, services.accounts, services.policy, command, now, 0.2)


def _change(services: Services, text: str, admin: bool = True) -> object:
    command = service.parse_command(text)
    now = services.clock()
    return service.change_override(
        services.db, services.accounts, services.policy, command, "UADMIN", admin, now
    )


@pytest.mark.parametrize(
    ("raw", "verb", "text"),
    [
        ("  acme\x00  corp ", Verb.LOOKUP, "acme corp"),
        ("SET Acme to enterprise: x", Verb.SET, "SET Acme to enterprise: x"),
        ("clear Acme", Verb.CLEAR, "clear Acme"),
        ("settle", Verb.LOOKUP, "settle"),
        (None, Verb.LOOKUP, ""),
    ],
)
def test_a_command_is_cleaned_once_and_knows_its_verb(raw: str | None, verb: Verb, text: str) -> None:
    command = service.parse_command(raw)
    assert (command.verb, command.text) == (verb, text)


def test_lookup_outcomes(services: Services, accounts: dict[str, int]) -> None:
    found = _look_up(services, "ACME-001")
    assert found.outcome is Outcome.FOUND and found.card is not None
    assert (found.card.account_id, found.card.tier.key) == (accounts["acme"], "enterprise")
    assert found.valid_until is not None  # the card's clock-driven parts expire it
    assert _look_up(services, "help").outcome is Outcome.HELP
    choose = _look_up(services, "acm")
    assert choose.outcome is Outcome.CHOOSE
    assert {c.account_id for c in choose.candidates} >= set(accounts.values())
    assert _look_up(services, "zzzqqq").outcome is Outcome.NOT_FOUND


def test_answer_memoises_each_rendering_apart(services: Services, accounts: dict[str, int]) -> None:
    calls: list[str] = []

    def short(result: Lookup, policy: Policy) -> str:
        calls.append("short")
        return result.outcome.value

    def long(result: Lookup, policy: Policy) -> str:
        calls.append("long")
        return f"{result.outcome.value}: {result.query}"

    def answer(text: str, render: object) -> object:
        now = services.clock()
        command = service.parse_command(text)
        return service.answer(services.db, services.accounts, services.policy, command, now, 0.2, render)  # type: ignore[arg-type]

    assert answer("acme corp", short) == "found"
    assert answer("ACME CORP", short) == "found"  # the same question, cased otherwise
    assert answer("acme corp", long) == "found: acme corp"
    assert calls == ["short", "long"]


def test_clean_input_runs_once_per_tier(
    services: Services, accounts: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from handlers.tier import answer_body

    calls: list[str | None] = []
    from bot.text import clean_input as real

    def counting(text: str | None, limit: int = 200) -> str:
        calls.append(text)
        return real(text, limit)

    monkeypatch.setattr(service, "clean_input", counting)
    answer_body(services, "acme corp", "U1")
    answer_body(services, "set Acme Rockets to enterprise: renewal", "UADMIN")
    assert calls == ["acme corp", "set Acme Rockets to enterprise: renewal"]


def test_override_outcomes_are_typed(services: Services, accounts: dict[str, int]) -> None:
    assert _change(services, "set Acme Rockets to enterprise: renewal", admin=False) == Refused(
        Refusal.NOT_ADMIN
    )
    assert _change(services, "set Acme Rockets to enterprise: renewal") == OverrideSet(
        "Acme Rockets", "Enterprise"
    )
    assert _look_up(services, "acme rockets").card.tier.key == "enterprise"  # type: ignore[union-attr]
    assert _change(services, "clear Acme Rockets") == OverrideCleared("Acme Rockets", "Starter")
    tiers = tuple(t.key for t in services.policy.tiers)
    assert _change(services, "set Acme Rockets to platinum: x") == Refused(
        Refusal.UNKNOWN_TIER, "platinum", tiers
    )
    ambiguous = _change(services, "set acm to enterprise: x")
    assert isinstance(ambiguous, Refused) and (ambiguous.reason, ambiguous.subject) == (
        Refusal.AMBIGUOUS,
        "acm",
    )
    assert set(ambiguous.options) == {"Acme Corp", "Acme Rockets"}
    assert _change(services, "set nobody to enterprise: x").reason is Refusal.NO_MATCH  # type: ignore[attr-defined]
    assert _change(services, "set Acme Rockets").reason is Refusal.SET_SYNTAX  # type: ignore[attr-defined]
    assert _change(services, "clear") == Refused(Refusal.CLEAR_SYNTAX)
    assert _change(services, "clear Acme Corp") == Refused(Refusal.NO_ACTIVE_OVERRIDE, "Acme Corp")


def test_history_names_every_change(services: Services, accounts: dict[str, int]) -> None:
    now = services.clock()
    service.set_override(
        services.db, services.accounts, services.policy, "ACME-001", "starter", "test", "ana", now
    )
    history = service.tier_history(services.db, services.accounts, "ACME-001")
    assert not isinstance(history, Refused)
    assert history.account == "Acme Corp"
    assert [(e.from_tier, e.to_tier, e.cause) for e in history.entries][-1] == (
        "enterprise",
        "starter",
        "override",
    )
    assert isinstance(history.entries[-1].at, datetime)
    assert service.tier_history(services.db, services.accounts, "zzzqqq") == Refused(
        Refusal.NO_MATCH, "zzzqqq", ()
    )


def _reasons(services: Services) -> list[tuple[str, str, bool]]:
    with services.db.session() as session:
        rows = session.scalars(select(TierOverride).order_by(TierOverride.id))
        return [(o.tier, o.reason, o.cleared_at is None) for o in rows]


def test_an_active_override_can_be_extended_from_the_modal(
    services: Services, accounts: dict[str, int]
) -> None:
    def set_on(tier: str, reason: str, until: date | None = None) -> object:
        return service.set_override_on(
            services.db, services.accounts, services.policy, accounts["rockets"], tier, reason, "UADMIN", True,
            services.clock(), until,
        )  # fmt: skip

    assert set_on("starter", "pin") == Refused(Refusal.SAME_TIER, "Starter")  # the rules give Starter
    assert set_on("enterprise", "renewal", date(2099, 3, 31)) == OverrideSet("Acme Rockets", "Enterprise")
    # The same tier again: a new last day and reason for the active override, not a refusal.
    assert set_on("enterprise", "renewal slipped", date(2099, 6, 30)) == OverrideSet(
        "Acme Rockets", "Enterprise"
    )
    # And, while one is active, the tier the rules give is an override like any other.
    assert set_on("starter", "hold at starter") == OverrideSet("Acme Rockets", "Starter")
    assert _reasons(services) == [
        ("enterprise", "renewal", False), ("enterprise", "renewal slipped", False), ("starter", "hold at starter", True),
    ]  # fmt: skip


def test_every_override_reason_is_storable(services: Services, accounts: dict[str, int]) -> None:
    # A NUL or a lone surrogate fails a PostgreSQL insert (SQLite's driver refuses the surrogate):
    # the use cases drop them, whoever calls them.
    done = service.set_override_on(
        services.db, services.accounts, services.policy, accounts["rockets"], "enterprise", "re\x00new\ud800al",
        "UADMIN", True, services.clock(),
    )  # fmt: skip
    assert done == OverrideSet("Acme Rockets", "Enterprise")
    assert _change(services, "set Acme Corp to starter: down\ud83dgrade") == OverrideSet(
        "Acme Corp", "Starter"
    )
    assert [r for _, r, _ in _reasons(services)] == ["renewal", "downgrade"]
