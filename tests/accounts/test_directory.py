"""The account directory: caches that never serve stale data (data versions invalidate everything,
the clock only what it moves) and an index that rebuilds without holding lookups up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.accounts.cards import AccountCard, card_valid_until
from bot.policy.evaluate import TierResult
from bot.services import Services
from bot.sla.briefs import TicketSummary
from storage.versions import ACCOUNTS, bump_version

NOW = datetime(2026, 11, 23, 10, 17, 42, tzinfo=UTC)


def test_value_holds_until_its_expiry(services: Services) -> None:
    made: list[int] = []

    def make() -> tuple[int, datetime | None]:
        made.append(1)
        return len(made), NOW + timedelta(minutes=1)

    assert services.accounts.cached(services.db, ("k",), NOW, make) == 1
    assert services.accounts.cached(services.db, ("k",), NOW + timedelta(seconds=59), make) == 1
    assert services.accounts.cached(services.db, ("k",), NOW + timedelta(minutes=1), make) == 2


def test_a_write_anywhere_invalidates(services: Services) -> None:
    calls = iter(range(10))
    assert services.accounts.cached(services.db, ("k",), NOW, lambda: (next(calls), None)) == 0
    assert (
        services.accounts.cached(services.db, ("k",), NOW + timedelta(days=9), lambda: (next(calls), None))
        == 0
    )
    with services.db.session() as session:
        bump_version(session, ACCOUNTS)
    assert services.accounts.cached(services.db, ("k",), NOW, lambda: (next(calls), None)) == 1


def test_each_kind_has_its_own_bounded_lru(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.accounts import directory

    monkeypatch.setattr(directory, "CACHE_SIZES", {"answer": 3, "card": 2})
    made: list[tuple[str, int]] = []

    def make(kind: str, n: int) -> tuple[str, datetime | None]:
        made.append((kind, n))
        return f"{kind}{n}", None

    for n in range(3):
        services.accounts.cached(services.db, ("answer", n), NOW, lambda n=n: make("answer", n))
    for n in range(5):  # cards churn past their own bound...
        services.accounts.cached(services.db, ("card", n), NOW, lambda n=n: make("card", n))
    made.clear()
    for n in range(3):  # ...and no answer was evicted by them
        assert (
            services.accounts.cached(services.db, ("answer", n), NOW, lambda n=n: make("answer", n))
            == f"answer{n}"
        )
    assert made == []
    services.accounts.cached(services.db, ("card", 0), NOW, lambda: make("card", 0))
    assert made == [("card", 0)]  # only the newest two cards were kept


def _card(policy: object, open_count: int) -> AccountCard:
    from bot.policy.model import Policy

    assert isinstance(policy, Policy)
    tickets = TicketSummary(open_count=open_count, breached=0, at_risk=0)
    result = TierResult("starter", "starter")
    return AccountCard(
        1, "A", None, None, 0, "medium", False, None, None, None, result, policy.tier("starter"), (), tickets
    )


def test_open_tickets_expire_by_the_minute_the_rest_by_the_hour(services: Services) -> None:
    assert card_valid_until(_card(services.policy, 2), NOW) == datetime(2026, 11, 23, 10, 18, tzinfo=UTC)
    assert card_valid_until(_card(services.policy, 0), NOW) == datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    assert card_valid_until(None, NOW) is None


def test_an_override_refreshes_answers_without_rebuilding_the_index(services: Services) -> None:
    from bot.accounts.overrides import set_override
    from handlers.tier import answer
    from tests.conftest import add_account

    account = add_account(services.db, services.policy, "Hooli", 2500, external_id="HOOLI-5")
    index = services.account_index()
    assert answer(services, "hooli", "U1")["text"] == "Hooli is Starter tier"
    set_override(
        services.db, services.policy, account, "enterprise", "board escalation", "UADMIN", services.clock()
    )
    assert answer(services, "hooli", "U1")["text"] == "Hooli is Enterprise tier"
    assert services.account_index() is index  # a multi-second rebuild for 100k accounts was avoided


def test_after_an_import_lookups_keep_answering_while_the_index_rebuilds(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild takes seconds at 100,000 accounts: in the request it would outlast Slack's 3 s."""
    import threading

    from bot import matching
    from handlers.tier import answer
    from tests.conftest import add_account
    from tests.fake_slack import eventually

    services.accounts.rebuild_in_background = True  # as in a running tierbot (Services.from_settings)
    add_account(services.db, services.policy, "Initech", 2500)
    old = services.account_index()
    add_account(services.db, services.policy, "Hooli", 2500)  # an import elsewhere: names changed
    build, gate = matching.AccountIndex.build, threading.Event()

    def slow_build(entries: object) -> matching.AccountIndex:
        gate.wait(5)  # a build in the request would sit here, and the asserts below would fail
        return build(entries)  # type: ignore[arg-type]

    monkeypatch.setattr(matching.AccountIndex, "build", staticmethod(slow_build))
    assert services.account_index() is old  # at once, from the previous index
    assert answer(services, "hooli", "U1")["text"].startswith("No account matches")
    assert answer(services, "initech", "U1")["text"] == "Initech is Starter tier"
    gate.set()
    assert eventually(lambda: services.account_index() is not old)
    # The answer computed from the old index is not served from the cache any more.
    assert answer(services, "hooli", "U1")["text"] == "Hooli is Starter tier"


def test_a_failed_background_rebuild_is_tried_again(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import matching
    from tests.conftest import add_account
    from tests.fake_slack import eventually

    services.accounts.rebuild_in_background = True
    old = services.account_index()
    add_account(services.db, services.policy, "Hooli", 2500)
    build = matching.AccountIndex.build
    calls: list[int] = []

    def failing_once(entries: object) -> matching.AccountIndex:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away mid-build")
        return build(entries)  # type: ignore[arg-type]

    monkeypatch.setattr(matching.AccountIndex, "build", staticmethod(failing_once))
    assert services.account_index() is old
    assert eventually(lambda: calls and not services.accounts._rebuilding)
    assert eventually(lambda: services.account_index() is not old)  # the next lookup started another
    assert len(calls) == 2
