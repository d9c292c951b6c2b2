"""Which pasted URLs are record links of a configured source (bot.sync.link_urls, via the settings)."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.sync.link_urls import (
    LinkKind,
    LinkSources,
    LinkTarget,
    parse_link,
    salesforce_hosts,
    salesforce_id18,
)
from bot.sync.service import link_sources


def _settings(**kw: object) -> Settings:
    base: dict[str, object] = {
        "zendesk_subdomain": "acme",
        "zendesk_email": "agent@example.com",
        "zendesk_api_token": "zd-token",
        "hubspot_token": "hs-token",
        "salesforce_instance_url": "https://acme.my.salesforce.com",
        "salesforce_access_token": "sf-token",
    }
    base.update(kw)
    return Settings(_env_file=None, **base)  # type: ignore[arg-type]


@pytest.fixture
def sources() -> LinkSources:
    return link_sources(_settings())


def _parsed(url: str, sources: LinkSources) -> tuple[str, LinkKind, str] | None:
    found = parse_link(url, sources)
    return None if found is None else (found.source, found.kind, found.remote_id)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://acme.zendesk.com/agent/tickets/123", ("zendesk", LinkKind.TICKET, "123")),
        ("https://ACME.zendesk.com/agent/tickets/123/events", ("zendesk", LinkKind.TICKET, "123")),
        ("https://acme.zendesk.com/agent/organizations/456", ("zendesk", LinkKind.ORGANIZATION, "456")),
        (
            "https://acme.zendesk.com/agent/organizations/456/tickets",
            ("zendesk", LinkKind.ORGANIZATION, "456"),
        ),
        ("https://app.hubspot.com/contacts/2001/company/4501", ("hubspot", LinkKind.COMPANY, "4501")),
        ("https://app.hubspot.com/contacts/2001/record/0-2/4501/", ("hubspot", LinkKind.COMPANY, "4501")),
        ("https://app-eu1.hubspot.com/contacts/2001/company/4501", ("hubspot", LinkKind.COMPANY, "4501")),
        (
            "https://acme.lightning.force.com/lightning/r/Account/001A000001AbCdEIAV/view",
            ("salesforce", LinkKind.COMPANY, "001A000001AbCdEIAV"),
        ),
        # Classic URLs carry the 15-character id; the API (and accounts.source_id) has 18.
        (
            "https://acme.my.salesforce.com/001A000001AbCdE",
            ("salesforce", LinkKind.COMPANY, "001A000001AbCdEIAV"),
        ),
    ],
)
def test_record_links_of_configured_sources(url: str, expected: tuple[str, LinkKind, str], sources: LinkSources) -> None:  # fmt: skip
    assert _parsed(url, sources) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://other.zendesk.com/agent/tickets/123",  # another company's helpdesk
        "https://acme.zendesk.com/hc/en-us/articles/123",  # not a ticket
        "https://acme.zendesk.com/agent/tickets/abc",
        "https://app.hubspot.com/contacts/2001/contact/77",  # a contact, not a company
        "https://app.hubspot.com/contacts/2001/record/0-1/77",
        "https://acme.lightning.force.com/lightning/r/Contact/003A000001AbCdEIAV/view",
        "https://acme.my.salesforce.com/003A000001AbCdE",  # 003: a contact id
        "https://other.my.salesforce.com/001A000001AbCdE",
        "https://example.com/agent/tickets/1",
        "ftp://acme.zendesk.com/agent/tickets/1",
        "https://[acme.zendesk.com/agent/tickets/1",  # malformed: unclosed IPv6 bracket
        "https://acme.zendesk.com:port/agent/tickets/1",  # malformed port
        "not a url at all",
        "",
        "https://acme.zendesk.com/agent/tickets/1" + "/x" * 2000,
    ],
)
def test_everything_else_is_not_a_record_link(url: str, sources: LinkSources) -> None:
    assert parse_link(url, sources) is None


def test_unconfigured_sources_are_not_parsed() -> None:
    nothing = link_sources(Settings(_env_file=None))
    assert not nothing.any
    assert parse_link("https://acme.zendesk.com/agent/tickets/123", nothing) is None
    assert parse_link("https://app.hubspot.com/contacts/1/company/2", nothing) is None
    # A subdomain alone is not a configured helpdesk: links would only ever be unknown.
    half = link_sources(_settings(zendesk_api_token=None, hubspot_token=None))
    assert parse_link("https://acme.zendesk.com/agent/tickets/123", half) is None
    assert parse_link("https://app.hubspot.com/contacts/1/company/2", half) is None


def test_zendesk_api_url_host_and_hubspot_portal() -> None:
    sources = link_sources(_settings(zendesk_api_url="https://help.acme.example/", hubspot_portal_id="2001"))
    assert _parsed("https://help.acme.example/agent/tickets/7", sources) == ("zendesk", LinkKind.TICKET, "7")
    assert _parsed("https://app.hubspot.com/contacts/2001/company/9", sources) == (
        "hubspot",
        LinkKind.COMPANY,
        "9",
    )
    assert parse_link("https://app.hubspot.com/contacts/3003/company/9", sources) is None  # another portal


def test_salesforce_hosts_and_ids() -> None:
    assert salesforce_hosts("https://acme--uat.sandbox.my.salesforce.com") == (
        frozenset({"acme--uat.sandbox.my.salesforce.com"}),
        frozenset({"acme--uat.sandbox.lightning.force.com"}),
    )
    assert salesforce_hosts("http://127.0.0.1:8080") == (frozenset({"127.0.0.1"}), frozenset())
    assert salesforce_hosts(None) == (frozenset(), frozenset())
    # Salesforce's documented example, and an 18-character id kept as it is.
    assert salesforce_id18("a0D30000001n7Pi") == "a0D30000001n7PiEAI"
    assert salesforce_id18("001A000001AbCdEIAV") == "001A000001AbCdEIAV"


def test_the_target_keeps_the_url_as_pasted(sources: LinkSources) -> None:
    url = "https://acme.zendesk.com/agent/tickets/0123"
    assert parse_link(url, sources) == LinkTarget(url, "zendesk", LinkKind.TICKET, "123")
