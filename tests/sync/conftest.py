"""Fixtures for live-data tests: the vendor fakes over HTTP, clients pointed at them, no retry waits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import stamina

from bot.policy.model import Policy, load_policy
from bot.sync.hubspot import HubSpotClient
from bot.sync.salesforce import SalesforceClient
from bot.sync.zendesk import ZendeskClient
from tests.fakes.hubspot import FakeHubSpot
from tests.fakes.salesforce import FakeSalesforce
from tests.fakes.zendesk import FakeZendesk

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    # Retries still happen (up to the clients' bound); only the waits between them are skipped.
    with stamina.set_testing(True, attempts=5, cap=True):
        yield


@pytest.fixture
def policy() -> Policy:
    return load_policy()


@pytest.fixture
def hubspot() -> Iterator[FakeHubSpot]:
    fake = FakeHubSpot(companies=250).start()
    yield fake
    fake.stop()


@pytest.fixture
def hubspot_client(hubspot: FakeHubSpot) -> Iterator[HubSpotClient]:
    client = HubSpotClient(hubspot.token, hubspot.url)
    yield client
    client.close()


@pytest.fixture
def salesforce() -> Iterator[FakeSalesforce]:
    fake = FakeSalesforce(accounts=450, batch=200).start()
    yield fake
    fake.stop()


@pytest.fixture
def zendesk() -> Iterator[FakeZendesk]:
    fake = FakeZendesk(tickets=300, orgs=40, page=100, domain_only=10).start()
    yield fake
    fake.stop()


@pytest.fixture
def zendesk_client(zendesk: FakeZendesk) -> Iterator[ZendeskClient]:
    client = ZendeskClient(zendesk.url, "agent@example.com", "zd-token", poll_seconds=0.01)
    yield client
    client.close()


def salesforce_client(fake: FakeSalesforce, **kw: object) -> SalesforceClient:
    args: dict[str, object] = {"client_id": "cid", "client_secret": "secret"}
    args.update(kw)
    return SalesforceClient(fake.url, **args)  # type: ignore[arg-type]
