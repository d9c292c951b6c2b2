"""Clients built from the settings: which sources are configured, and the client for each."""

from __future__ import annotations

from bot.config import Settings
from bot.sync.errors import NotConfigured
from bot.sync.hubspot import HubSpotClient
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
