"""The app manifest asks for what the listeners need: link unfurls' scopes, event and domains."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import Settings
from bot.sync.link_urls import parse_link
from bot.sync.service import link_sources

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


def _list(text: str, key: str) -> list[str]:
    """The items of a YAML block list `key:` (the manifest's plain style: `- item  # comment`)."""
    match = re.search(rf"^(\s*){key}:\n((?:\1\s+- .*\n)+)", text, re.MULTILINE)
    assert match, f"{key} not in the manifest"
    return [line.split("#")[0].strip().removeprefix("- ").strip() for line in match[2].splitlines()]


def test_manifest_subscribes_to_link_shared_with_the_link_scopes() -> None:
    text = MANIFEST.read_text()
    assert "link_shared" in _list(text, "bot_events")
    assert {"links:read", "links:write"} <= set(_list(text, "bot"))
    # conversations.info on every kind of conversation a link can be pasted in, to leave the ones
    # shared with another organization alone: public, private, DMs, group DMs.
    assert {"channels:read", "groups:read", "im:read", "mpim:read"} <= set(_list(text, "bot"))


def test_every_unfurl_domain_is_one_the_configured_sources_recognise() -> None:
    # The manifest's example org is "acme": configured the same way, each domain's record link parses.
    settings = Settings(
        _env_file=None,
        zendesk_subdomain="acme",
        zendesk_email="agent@example.com",
        zendesk_api_token="t",
        hubspot_token="t",
        salesforce_instance_url="https://acme.my.salesforce.com",
        salesforce_access_token="t",
    )
    sources = link_sources(settings)
    paths = {
        "acme.zendesk.com": "/agent/tickets/1",
        "app.hubspot.com": "/contacts/1/company/2",
        "acme.lightning.force.com": "/lightning/r/Account/001A000001AbCdEIAV/view",
        "acme.my.salesforce.com": "/001A000001AbCdE",
    }
    domains = _list(MANIFEST.read_text(), "unfurl_domains")
    assert 0 < len(domains) <= 5  # Slack's limit
    for domain in domains:
        assert parse_link(f"https://{domain}{paths[domain]}", sources) is not None, domain
