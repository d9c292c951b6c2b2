"""Parsing single CSV cells of an accounts file: a value, or the reason a support lead can act on."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from bot.policy.model import CRITICALITIES
from bot.text import (
    normalize,
    storable,  # noqa: F401  (re-exported: csv_rows strips cells with it)
)

MAX_LEN = {"name": 255, "external_id": 128, "domain": 255, "owner": 255, "region": 64, "slack_channel": 64}
# Numeric(14, 2): twelve digits before the point.
MAX_ACV = Decimal("999999999999.99")
CENT = Decimal("0.01")
_CRITICALITIES = frozenset(CRITICALITIES)
TRUE_WORDS = frozenset({"true", "yes", "1"})
FALSE_WORDS = frozenset({"false", "no", "0"})

_ACV = re.compile(r"^(?P<sign>-?)\s*\$?\s*(?P<sign2>-?)(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d*)?$")
_PLAIN_ACV = re.compile(r"\d{1,12}(?:\.\d{0,2})?")
_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc
_SPACE = re.compile(r"\s")


# A parsed cell: (value, None), or (None, the reason it was refused).
Cell = tuple[Any, str | None]
EMPTY: Cell = (None, None)


def text_cell(value: str, column: str) -> Cell:
    value = value.strip()
    if not value:
        return EMPTY
    limit = MAX_LEN[column]
    if len(value) > limit:
        return None, f"{column} is {len(value):,} characters long (at most {limit})"
    return value, None


def parse_acv(raw: str) -> Decimal | str:
    """A non-negative amount like `25000`, `25000.00` or `$25,000`; a str is the reason it was refused."""
    value = raw.strip()
    if _PLAIN_ACV.fullmatch(value):
        return Decimal(value)  # the common case, valid by construction
    if not value:
        return "acv is empty"
    m = _ACV.match(value)
    if m is None:
        return f"acv {value[:40]!r} is not an amount like 25000, 25000.00 or $25,000"
    amount = Decimal(m["num"].replace(",", "") + (m["frac"] or "").rstrip("."))
    if (m["sign"] or m["sign2"]) and amount != 0:
        return f"acv {value!r} is negative"
    if amount != amount.quantize(CENT):
        return f"acv {value!r} has more than two decimal places"
    if amount > MAX_ACV:
        return f"acv {value!r} is larger than {MAX_ACV:,}"
    return amount.quantize(CENT)


def acv_cell(raw: str) -> Cell:
    amount = parse_acv(raw)
    return (None, amount) if isinstance(amount, str) else (amount, None)


def criticality_cell(raw: str) -> Cell:
    value = raw.strip().lower() or "medium"
    if value not in _CRITICALITIES:
        return None, f"usage_criticality {value[:40]!r} is not one of {', '.join(CRITICALITIES)}"
    return value, None


def strategic_cell(raw: str) -> Cell:
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True, None
    if not value or value in FALSE_WORDS:
        return False, None
    return None, f"strategic {value[:40]!r} is not true/false, yes/no or 1/0"


def health_cell(raw: str) -> Cell:
    value = raw.strip()
    if not value:
        return EMPTY
    if not value.isascii() or not value.isdigit() or int(value) > 100:
        return None, f"health_score {value[:40]!r} is not a whole number from 0 to 100"
    return int(value), None


def owner_cell(raw: str) -> Cell:
    owner, problem = text_cell(raw, "owner")
    if owner is None:
        return owner, problem
    if _SLACK_USER.match(owner.upper()) and "@" not in owner:
        return owner.upper(), None
    if _EMAIL.match(owner):
        return owner, None
    return None, f"owner {owner[:60]!r} is neither a Slack user id (like U024BE7LH) nor an e-mail address"


def domain_cell(raw: str) -> Cell:
    domain, problem = text_cell(raw, "domain")
    if domain is None:
        return domain, problem
    # CRM exports often hold a URL; the matcher wants the bare host.
    domain = _SCHEME.sub("", domain.lower()).split("/", 1)[0]
    if not domain or _SPACE.search(domain):
        return None, f"domain {raw.strip()[:60]!r} is not a domain like acme.example"
    return domain, None


def external_id_cell(raw: str) -> Cell:
    return text_cell(raw, "external_id")


def region_cell(raw: str) -> Cell:
    return text_cell(raw, "region")


_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")


def slack_channel_cell(raw: str) -> Cell:
    """The account's own Slack channel, by id (C0123ABC): names change, ids do not."""
    channel, problem = text_cell(raw, "slack_channel")
    if channel is None or _CHANNEL_ID.match(channel.upper()):
        return (channel.upper() if channel else None), problem
    return None, f"slack_channel {channel[:60]!r} is not a Slack channel id (like C024BE7LR)"


def name_cell(value: str) -> tuple[str, str, str | None]:
    """(name, name_key, problem)."""
    name = value.strip()
    if not name:
        return "", "", "name is empty"
    if len(name) > MAX_LEN["name"]:
        return "", "", f"name is {len(name):,} characters long (at most {MAX_LEN['name']})"
    if _CONTROL.search(name):
        return "", "", "name contains control characters (a line break or tab inside the name?)"
    key = normalize(name)
    if not key:
        return name, key, f"name {name!r} has no letters or digits"
    if len(key) > MAX_LEN["name"]:
        return (
            name,
            key,
            f"name is too long once normalised ({len(key)} characters, at most {MAX_LEN['name']})",
        )
    return name, key, None
