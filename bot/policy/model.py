"""The tier policy file, validated with pydantic when it is loaded (never at the first lookup)."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

DEFAULT_POLICY_FILE = Path(__file__).with_name("default.toml")
SEVERITIES: tuple[str, ...] = ("sev1", "sev2", "sev3", "sev4")
SEVERITY_LABELS = {
    "sev1": "Sev 1 · urgent",
    "sev2": "Sev 2 · high",
    "sev3": "Sev 3 · normal",
    "sev4": "Sev 4 · low",
}
CRITICALITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$")
_HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class PolicyError(ValueError):
    """A policy file that cannot be used, with the file, the field and the reason."""


def parse_minutes(value: object) -> int:
    """'1h30m' -> 90. Integers are taken as minutes."""
    if isinstance(value, int) and not isinstance(value, bool):
        minutes = value
    elif isinstance(value, str) and (m := _DURATION.match(value)) and any(m.groups()):
        days, hours, mins = (int(g) if g else 0 for g in m.groups())
        minutes = days * 1440 + hours * 60 + mins
    else:
        raise ValueError(f"not a duration like '30m', '4h' or '2d': {value!r}")
    if minutes <= 0:
        raise ValueError("a duration must be longer than zero")
    return minutes


Minutes = Annotated[int, BeforeValidator(parse_minutes)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_OFFSET = re.compile(r"^\s*([+-])?\s*(.+?)\s*$")


def parse_offset(value: object) -> int:
    """An alert step relative to an SLA target: '-60m' (before it), '0' (at it), '+30m' (after it)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip() == "0":
        return 0
    m = _OFFSET.match(value) if isinstance(value, str) else None
    if m is None or not m[1]:
        raise ValueError(f"not a step like '-60m', '0' or '+30m': {value!r}")
    try:
        minutes = parse_minutes(m[2])
    except ValueError:
        raise ValueError(f"not a step like '-60m', '0' or '+30m': {value!r}") from None
    return -minutes if m[1] == "-" else minutes


Offset = Annotated[int, BeforeValidator(parse_offset)]
_SUBTEAM = re.compile(r"^(?:<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>|subteam:([A-Z0-9]+))$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
_CHANNEL_NAME = re.compile(r"^#[a-z0-9][a-z0-9._-]{0,79}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


class Notify(_Strict):
    """Who an escalation level notifies: a Slack user group, a channel, or named users."""

    kind: Literal["usergroup", "channel", "users"]
    ids: tuple[str, ...]  # the group id, the channel ('#name' or id), or user ids


def parse_notify(value: object) -> Notify:
    if isinstance(value, Notify):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValueError("notify needs a user group, a channel or user ids")
    text = value.strip()
    if m := _SUBTEAM.match(text):
        return Notify(kind="usergroup", ids=(m[1] or m[2],))
    if _CHANNEL_ID.match(text) or _CHANNEL_NAME.match(text):
        return Notify(kind="channel", ids=(text,))
    users = tuple(u for u in re.split(r"[\s,]+", text) if u)
    if users and all(_USER_ID.match(u) for u in users):
        return Notify(kind="users", ids=users)
    if text.startswith("@"):
        raise ValueError(
            f"{text!r}: a user group is notified by its id, '<!subteam^S0123ABCD>' or 'subteam:S0123ABCD' "
            "(Slack cannot mention a group by its handle)"
        )
    raise ValueError(
        f"{text!r} is not a user group ('subteam:S…'), a channel ('#name' or 'C…') or user ids ('U…')"
    )


class Escalation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    after: Offset  # after the breach, counted on the target's calendar like the alert steps
    notify: Annotated[Notify, BeforeValidator(parse_notify)]

    @field_validator("after")
    @classmethod
    def _after_breach(cls, value: int) -> int:
        if value < 0:
            raise ValueError("an escalation comes after the breach: use '+15m', not a negative step")
        return value


class SlaTarget(_Strict):
    first_response: Minutes
    resolution: Minutes
    calendar: str = "24x7"

    @model_validator(mode="after")
    def _order(self) -> SlaTarget:
        if self.resolution < self.first_response:
            raise ValueError("resolution target is shorter than the first-response target")
        return self


class Calendar(_Strict):
    """When SLA clocks run: always, or business hours per weekday in a time zone, less holidays."""

    always_open: bool = False
    timezone: str = "UTC"
    hours: dict[str, str] = Field(default_factory=dict)
    holidays_country: str | None = None
    holidays_subdivision: str | None = None
    closed_dates: tuple[date, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: dict[str, str]) -> dict[str, str]:
        for day, span in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown weekday {day!r}; use {', '.join(WEEKDAYS)}")
            m = _HOURS.match(span)
            if not m:
                raise ValueError(f"{day}: hours must look like '09:00-17:00', got {span!r}")
            start, end = int(m[1]) * 60 + int(m[2]), int(m[3]) * 60 + int(m[4])
            if not 0 <= start < end <= 24 * 60:
                raise ValueError(f"{day}: {span!r} does not open before it closes")
        return value

    @field_validator("holidays_country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        import holidays

        if value.upper() not in holidays.list_supported_countries():
            raise ValueError(f"no public-holiday calendar for country {value!r}")
        return value.upper()

    @model_validator(mode="after")
    def _has_hours(self) -> Calendar:
        if not self.always_open and not self.hours:
            raise ValueError("a calendar needs always_open = true or opening hours")
        return self

    def open_span(self, weekday: str) -> tuple[int, int] | None:
        """Opening minutes-of-day for a weekday, or None when closed all day."""
        span = self.hours.get(weekday)
        if span is None:
            return None
        m = _HOURS.match(span)
        assert m is not None  # validated on load
        return int(m[1]) * 60 + int(m[2]), int(m[3]) * 60 + int(m[4])


class Staffing(_Strict):
    """The team that works a tier's queue (scenarios model its waiting time with Erlang C)."""

    agents: int = Field(ge=1, le=100_000)
    hours_per_week: float = Field(gt=0, le=168)


class Tier(_Strict):
    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
    name: Annotated[str, Field(min_length=1, max_length=40)]
    min_acv: Decimal = Field(ge=0)
    coverage: str
    hourly_cost: Decimal = Field(ge=0)
    entitlements: tuple[str, ...] = ()
    # Structured flag behind the "quarterly technical account reviews" entitlement text: accounts of
    # this tier get a review due every quarter (the `quarterly-reviews` job).
    quarterly_review: bool = False
    sla: dict[str, SlaTarget]
    staffing: Staffing | None = None
    # Alerts (issue 11): steps relative to each SLA target, who is told after a breach, where.
    alerts: tuple[Offset, ...] = ()
    escalation: tuple[Escalation, ...] = ()
    alert_channel: str | None = None  # used when the account has no slack_channel of its own
    health_alerts: bool = False  # health-score drops alert the owner and the account's channel

    @field_validator("alerts")
    @classmethod
    def _ladder(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if list(value) != sorted(set(value)):
            raise ValueError("alert steps must be distinct and in order, earliest first")
        return value

    @field_validator("escalation")
    @classmethod
    def _levels(cls, value: tuple[Escalation, ...]) -> tuple[Escalation, ...]:
        afters = [e.after for e in value]
        if afters != sorted(set(afters)):
            raise ValueError("escalation levels must come in order of 'after', each later than the last")
        return value

    @field_validator("alert_channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is not None and not (_CHANNEL_ID.match(value) or _CHANNEL_NAME.match(value)):
            raise ValueError(f"{value!r} is not a channel id ('C…') or name ('#support-alerts')")
        return value

    @field_validator("sla")
    @classmethod
    def _every_severity(cls, value: dict[str, SlaTarget]) -> dict[str, SlaTarget]:
        missing = [s for s in SEVERITIES if s not in value]
        unknown = [s for s in value if s not in SEVERITIES]
        if missing or unknown:
            raise ValueError(f"SLA targets needed for exactly {', '.join(SEVERITIES)}")
        return value


class Rules(_Strict):
    strategic_lift: int = Field(default=1, ge=0, le=5)
    criticality_floor: dict[Literal["low", "medium", "high", "critical"], str] = Field(default_factory=dict)


class SyncFields(_Strict):
    """Which CRM property or field holds each account value; None: not synced (stored value kept)."""

    name: str
    external_id: str | None = None
    domain: str | None = None
    acv: str
    usage_criticality: str | None = None
    strategic: str | None = None
    health_score: str | None = None
    owner: str | None = None  # must hold a Slack user id or an e-mail address, as in the CSV
    region: str | None = None
    slack_channel: str | None = None  # the account's own channel, by id (C024BE7LR), as in the CSV

    def mapped(self) -> dict[str, str]:
        """Account column -> CRM field, for the fields that are synced."""
        return {k: v for k, v in self.model_dump().items() if v}


class SyncSource(_Strict):
    fields: SyncFields
    # CRM picklist labels -> criticality levels, e.g. "Mission critical" = "critical". The levels'
    # own names (any case) are always understood; any other label is rejected, never guessed.
    criticality_labels: dict[str, Literal["low", "medium", "high", "critical"]] = Field(default_factory=dict)


HUBSPOT_FIELDS = SyncFields(
    name="name",
    external_id="hs_object_id",
    domain="domain",
    acv="acv",
    usage_criticality="usage_criticality",
    strategic="strategic",
    health_score="health_score",
)
SALESFORCE_FIELDS = SyncFields(
    name="Name",
    external_id="Id",
    domain="Website",
    acv="ACV__c",
    usage_criticality="Usage_Criticality__c",
    strategic="Strategic__c",
    health_score="Health_Score__c",
)


class SyncPolicy(_Strict):
    """`[sync.hubspot.fields]` and `[sync.salesforce.fields]` in the policy file (bot/sync)."""

    hubspot: SyncSource = SyncSource(fields=HUBSPOT_FIELDS)
    salesforce: SyncSource = SyncSource(fields=SALESFORCE_FIELDS)


class Policy(_Strict):
    rules: Rules = Rules()
    sync: SyncPolicy = SyncPolicy()
    calendars: dict[str, Calendar] = Field(default_factory=lambda: {"24x7": Calendar(always_open=True)})
    tiers: tuple[Tier, ...]

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        if not self.tiers:
            raise ValueError("at least one tier is needed")
        keys = [t.key for t in self.tiers]
        if len(set(keys)) != len(keys):
            raise ValueError("tier keys must be unique")
        thresholds = [t.min_acv for t in self.tiers]
        if thresholds != sorted(thresholds, reverse=True) or len(set(thresholds)) != len(thresholds):
            raise ValueError("tiers must be listed from highest to lowest, with strictly falling min_acv")
        if thresholds[-1] != 0:
            raise ValueError("the lowest tier must have min_acv = 0 so that every account has a tier")
        for crit, floor in self.rules.criticality_floor.items():
            if floor not in keys:
                raise ValueError(f"rules.criticality_floor.{crit}: unknown tier {floor!r}")
        for tier in self.tiers:
            for sev, target in tier.sla.items():
                if target.calendar not in self.calendars:
                    raise ValueError(f"tiers.{tier.key}.sla.{sev}: unknown calendar {target.calendar!r}")
        return self

    # Rank 0 is the lowest tier; lookups by key are the common path.
    def rank(self, key: str) -> int:
        for i, tier in enumerate(reversed(self.tiers)):
            if tier.key == key:
                return i
        raise KeyError(key)

    def by_rank(self, rank: int) -> Tier:
        return tuple(reversed(self.tiers))[rank]

    def tier(self, key: str) -> Tier:
        for tier in self.tiers:
            if tier.key == key:
                return tier
        raise KeyError(key)

    def tier_name(self, key: str) -> str:
        """The tier's display name; the key itself for a tier this policy no longer has (history and
        stored rows outlive a policy change)."""
        for tier in self.tiers:
            if tier.key == key:
                return tier.name
        return key

    def find_tier(self, text: str) -> Tier | None:
        """A tier by key or display name, case-insensitively."""
        folded = text.strip().casefold()
        return next((t for t in self.tiers if folded in (t.key, t.name.casefold())), None)


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def load_policy(path: Path | None = None) -> Policy:
    path = path or DEFAULT_POLICY_FILE
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PolicyError(f"{path}: file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        raise PolicyError(f"{path}: {_describe(exc)}") from exc
