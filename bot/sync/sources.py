"""Clients built from the settings: which sources are configured, and the client for each."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bot.config import Settings
from bot.sync.errors import NotConfigured
from bot.sync.hubspot import HubSpotClient
from bot.sync.link_urls import LinkSources, host_of, salesforce_hosts
from bot.sync.push import PushTarget, hubspot_target, salesforce_target, zendesk_target
from bot.sync.salesforce import SalesforceClient
from bot.sync.zendesk import ZendeskClient

CRMS = ("hubspot", "salesforce")
HELPDESKS = ("zendesk",)


def configured_crms(settings: Settings) -> list[str]:
    found = []
    if settings.hubspot_token is not None:
        found.append("hubspot")
    if settings.salesforce_instance_url and (
        settings.salesforce_access_token is not None
        or (settings.salesforce_client_id and settings.salesforce_client_secret is not None)
    ):
        found.append("salesforce")
    return found


def has_helpdesk(settings: Settings) -> bool:
    return bool(settings.zendesk_base_url and settings.zendesk_email and settings.zendesk_api_token)


def crm_client(settings: Settings, source: str) -> HubSpotClient | SalesforceClient:
    if source not in configured_crms(settings):
        needs = {
            "hubspot": "HUBSPOT_TOKEN",
            "salesforce": "SALESFORCE_INSTANCE_URL and SALESFORCE_ACCESS_TOKEN (or SALESFORCE_CLIENT_ID "
            "and SALESFORCE_CLIENT_SECRET)",
        }
        raise NotConfigured(source, f"not configured: set {needs.get(source, 'a known source')}")
    if source == "hubspot":
        assert settings.hubspot_token is not None
        return HubSpotClient(settings.hubspot_token.get_secret_value(), settings.hubspot_api_url)
    token, secret = settings.salesforce_access_token, settings.salesforce_client_secret
    assert settings.salesforce_instance_url is not None
    return SalesforceClient(
        settings.salesforce_instance_url,
        access_token=token.get_secret_value() if token and not settings.salesforce_client_id else None,
        client_id=settings.salesforce_client_id,
        client_secret=secret.get_secret_value() if secret else None,
        api_version=settings.salesforce_api_version,
    )


def helpdesk_client(settings: Settings) -> ZendeskClient:
    if not has_helpdesk(settings):
        raise NotConfigured(
            "zendesk",
            "not configured: set ZENDESK_SUBDOMAIN (or ZENDESK_API_URL), ZENDESK_EMAIL, ZENDESK_API_TOKEN",
        )
    assert settings.zendesk_base_url and settings.zendesk_email and settings.zendesk_api_token
    return ZendeskClient(
        settings.zendesk_base_url, settings.zendesk_email, settings.zendesk_api_token.get_secret_value()
    )


def link_sources(settings: Settings) -> LinkSources:
    """The hosts whose record links tierbot unfurls: those of the configured sources only (a link into
    a CRM tierbot does not sync from could only ever be unknown)."""
    zendesk: set[str] = set()
    if has_helpdesk(settings):
        if settings.zendesk_subdomain:
            zendesk.add(f"{settings.zendesk_subdomain.strip().lower()}.zendesk.com")
        # ZENDESK_API_URL may name a host mapped onto the helpdesk (or a local fake).
        api_host = host_of(settings.zendesk_base_url or "")
        if api_host:
            zendesk.add(api_host)
    crms = configured_crms(settings)
    classic, lightning = salesforce_hosts(settings.salesforce_instance_url if "salesforce" in crms else None)
    portal = (settings.hubspot_portal_id or "").strip() or None
    return LinkSources(frozenset(zendesk), "hubspot" in crms, portal, classic, lightning)


def tier_field(settings: Settings, source: str) -> str | None:
    """The CRM property or field tiers are pushed to, when set (read back by the account sync)."""
    return {"hubspot": settings.hubspot_tier_property, "salesforce": settings.salesforce_tier_field}.get(
        source
    )


def push_targets(settings: Settings) -> list[str]:
    """Where tiers are written: the helpdesk when configured, and each configured CRM whose tier
    property or field is set (HUBSPOT_TIER_PROPERTY, SALESFORCE_TIER_FIELD)."""
    found = ["zendesk"] if has_helpdesk(settings) else []
    crms = configured_crms(settings)
    if "hubspot" in crms and settings.hubspot_tier_property:
        found.append("hubspot")
    if "salesforce" in crms and settings.salesforce_tier_field:
        found.append("salesforce")
    return found


@contextmanager
def open_push_target(settings: Settings, name: str) -> Iterator[PushTarget]:
    """The target with its client, closed on leaving."""
    if name not in push_targets(settings):
        setting = {
            "zendesk": "ZENDESK_*",
            "hubspot": "HUBSPOT_TIER_PROPERTY",
            "salesforce": "SALESFORCE_TIER_FIELD",
        }
        raise NotConfigured(f"push-{name}", f"not configured: set {setting.get(name, 'a known target')}")
    if name == "zendesk":
        helpdesk = helpdesk_client(settings)
        try:
            yield zendesk_target(helpdesk, settings.zendesk_tier_field)
        finally:
            helpdesk.close()
        return
    crm = crm_client(settings, name)
    try:
        if isinstance(crm, HubSpotClient):
            assert settings.hubspot_tier_property
            yield hubspot_target(crm, settings.hubspot_tier_property)
        else:
            assert settings.salesforce_tier_field
            yield salesforce_target(crm, settings.salesforce_tier_field)
    finally:
        crm.close()
