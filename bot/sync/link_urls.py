"""Which pasted URLs point at a record of a configured source: a helpdesk ticket or organization, a CRM
company or account. Pure parsing against the hosts the settings name; no database, no network.

Recognised shapes (anything else, a malformed URL included, is not ours and yields None):
- Zendesk: `https://{ZENDESK_SUBDOMAIN}.zendesk.com/agent/tickets/{id}` and
  `/agent/organizations/{id}`, on that host or the host of ZENDESK_API_URL.
- HubSpot: `https://app.hubspot.com/contacts/{portal}/company/{id}` and
  `/contacts/{portal}/record/0-2/{id}` (0-2 is HubSpot's object type id of companies), on `app.` or a
  regional `app-eu1.`-style host; when HUBSPOT_PORTAL_ID is set, only that portal's links.
- Salesforce: `https://{name}.lightning.force.com/lightning/r/Account/{id}/view` and the classic
  `https://{name}.my.salesforce.com/{id}`, where `{name}` comes from SALESFORCE_INSTANCE_URL. Record ids
  are returned in their 18-character form, the one the API (and so `accounts.source_id`) uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

ZENDESK, HUBSPOT, SALESFORCE = "zendesk", "hubspot", "salesforce"
URL_MAX = 2000  # longer than any record link; a pasted wall of text is not parsed
_ZENDESK_PATH = re.compile(r"^/agent/(tickets|organizations)/(\d{1,20})(?:/.*)?$")
_HUBSPOT_HOST = re.compile(r"^app(?:-[a-z0-9]{1,10})?\.hubspot\.com$")
_HUBSPOT_PATH = re.compile(r"^/contacts/(\d{1,20})/(?:company|record/0-2)/(\d{1,20})(?:/.*)?$")
# 001 is the key prefix of Account ids: a classic URL with another prefix is a contact, a case, ...
_SF_LIGHTNING_PATH = re.compile(r"^/lightning/r/Account/(001[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?)(?:/.*)?$")
_SF_CLASSIC_PATH = re.compile(r"^/(001[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?)/?$")
_SF_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_CLASSIC, _LIGHTNING = ".my.salesforce.com", ".lightning.force.com"


class LinkKind(StrEnum):
    TICKET = "ticket"  # a helpdesk ticket
    ORGANIZATION = "organization"  # a helpdesk organization
    COMPANY = "company"  # a CRM company (HubSpot) or account (Salesforce)


@dataclass(frozen=True, slots=True)
class LinkSources:
    """The hosts of the configured sources (see `bot.sync.sources.link_sources`); empty = not configured."""

    zendesk_hosts: frozenset[str] = frozenset()
    hubspot: bool = False
    hubspot_portal: str | None = None  # None: any portal
    salesforce_classic_hosts: frozenset[str] = frozenset()
    salesforce_lightning_hosts: frozenset[str] = frozenset()

    @property
    def any(self) -> bool:
        return bool(self.zendesk_hosts or self.hubspot or self.salesforce_classic_hosts)


@dataclass(frozen=True, slots=True)
class LinkTarget:
    url: str  # as pasted: the key Slack expects back in chat.unfurl
    source: str  # zendesk | hubspot | salesforce
    kind: LinkKind
    remote_id: str  # the record's id at the source


def salesforce_hosts(instance_url: str | None) -> tuple[frozenset[str], frozenset[str]]:
    """(classic hosts, Lightning hosts) of a Salesforce org from its instance URL: a My Domain
    `acme.my.salesforce.com` (or a sandbox `acme--uat.sandbox.my.salesforce.com`) is shown in Lightning
    as `acme.lightning.force.com`; any other instance host (a local fake) is taken as classic only."""
    host = host_of(instance_url or "")
    if not host:
        return frozenset(), frozenset()
    if host.endswith(_CLASSIC):
        return frozenset({host}), frozenset({host.removesuffix(_CLASSIC) + _LIGHTNING})
    if host.endswith(_LIGHTNING):
        return frozenset({host.removesuffix(_LIGHTNING) + _CLASSIC}), frozenset({host})
    return frozenset({host}), frozenset()


def host_of(url: str) -> str | None:
    """The lower-cased host of an http(s) URL; None for anything else or a malformed URL."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    return host.rstrip(".").lower()


def salesforce_id18(record_id: str) -> str:
    """The 18-character, case-safe form of a Salesforce id (15 case-sensitive characters + a checksum
    of which of them are upper case, five at a time)."""
    base = record_id[:15]
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, ch in enumerate(base[start : start + 5]) if "A" <= ch <= "Z")
        suffix += _SF_SUFFIX[bits]
    return base + suffix


def parse_link(url: str, sources: LinkSources) -> LinkTarget | None:
    """The record a URL points at, or None: not a configured source, not a record link, or malformed."""
    if not isinstance(url, str) or not url or len(url) > URL_MAX:
        return None
    host = host_of(url)
    if host is None:
        return None
    path = urlsplit(url.strip()).path
    if host in sources.zendesk_hosts:
        if m := _ZENDESK_PATH.match(path):
            kind = LinkKind.TICKET if m[1] == "tickets" else LinkKind.ORGANIZATION
            return LinkTarget(url, ZENDESK, kind, str(int(m[2])))
        return None
    if sources.hubspot and _HUBSPOT_HOST.match(host):
        m = _HUBSPOT_PATH.match(path)
        if m and (sources.hubspot_portal is None or m[1] == sources.hubspot_portal):
            return LinkTarget(url, HUBSPOT, LinkKind.COMPANY, m[2])
        return None
    if host in sources.salesforce_lightning_hosts:
        m = _SF_LIGHTNING_PATH.match(path)
    elif host in sources.salesforce_classic_hosts:
        m = _SF_CLASSIC_PATH.match(path)
    else:
        return None
    return LinkTarget(url, SALESFORCE, LinkKind.COMPANY, salesforce_id18(m[1])) if m else None
