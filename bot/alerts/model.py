"""The typed results of the alerts capability: what to post, what was skipped and why, acks, history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from bot.policy.model import Notify


class StepKind(StrEnum):
    STEP = "step"  # a step of the tier's alert ladder ("-60m", "0", "+30m")
    ESCALATION = "escalation"  # a level of the tier's escalation ladder ("L1", "L2")


class StepOutcome(StrEnum):
    FIRED = "fired"  # handed to the delivery ledger on time
    LATE = "late"  # handed to the ledger late (tierbot was down when it came due), marked so
    SKIPPED = "skipped"  # not posted; the reason is kept


def step_label(offset_minutes: int) -> str:
    """-60 -> '-60m', 0 -> '0', 90 -> '+90m': the stable name of a step in keys and history."""
    return "0" if offset_minutes == 0 else f"{offset_minutes:+d}m"


def level_label(level: int) -> str:
    return f"L{level}"


@dataclass(frozen=True)
class TicketFacts:
    """What a ladder needs of one open ticket and its account, read in one query."""

    ticket_id: str
    account_id: int
    account_name: str
    tier: str
    acv: Decimal
    severity: str
    subject: str
    assignee: str | None  # as the helpdesk exports it: usually an e-mail
    status: str
    created: float  # epoch seconds
    first_response: float | None
    solved: float | None
    slack_channel: str | None  # the account's own channel
    owner: str | None  # a Slack user id or an e-mail
    sla_tier: str  # the tier the ticket was opened in: its targets (README, "Tier changes and open tickets")


@dataclass(frozen=True)
class DueStep:
    """One step or escalation level to post now, to `channel`."""

    kind: StepKind
    ticket_id: str
    account_id: int
    account_name: str
    tier: str
    tier_rank: int
    acv: Decimal
    severity: str
    subject: str
    target: str  # first_response | resolution
    target_minutes: int
    step: str  # "-15m", "0", "+30m", or "L1" for an escalation level
    offset_minutes: int  # relative to the target (escalations: their `after`)
    due_at: datetime  # when the SLA clock reached the step
    minutes_left: int  # business minutes left on the target now; negative when over
    channel: str
    assignee: str | None
    owner: str | None  # set from the breach on ("owner at breach")
    late: bool
    late_minutes: int  # how late it is posted (0 when on time)
    level: int | None = None
    notify: Notify | None = None

    @property
    def period(self) -> str:
        """The ledger period of this post: (ticket, target, step) names it once and for all."""
        return f"{self.ticket_id}:{self.target}:{self.step}"

    @property
    def breached(self) -> bool:
        return self.minutes_left < 0 or self.offset_minutes >= 0


@dataclass(frozen=True)
class SkippedStep:
    kind: StepKind
    ticket_id: str
    target: str
    step: str
    due_at: datetime
    reason: str
    channel: str | None


@dataclass(frozen=True)
class AlertTick:
    """What one run found: posts (most at stake first) and steps skipped with their reasons."""

    posts: list[DueStep]
    skipped: list[SkippedStep]
    rebuilt: int = 0  # tickets whose next-due times were recomputed because tickets changed


@dataclass(frozen=True)
class AckResult:
    ticket_id: str
    target: str
    acked_by: str | None
    acked_at: datetime | None
    snoozed_until: datetime | None
    snoozed_by: str | None
    changed: bool  # False when an earlier acknowledgement stands

    def quiet(self, now: datetime) -> bool:
        return self.acked_by is not None or (self.snoozed_until is not None and self.snoozed_until > now)


@dataclass(frozen=True)
class HistoryEntry:
    target: str
    kind: StepKind
    step: str
    outcome: StepOutcome
    due_at: datetime
    at: datetime
    channel: str | None
    reason: str | None
    escalation_level: int | None


@dataclass(frozen=True)
class TicketAlertHistory:
    """For `tierbot ticket show ID`: every step and level, and the acknowledgements per target."""

    ticket_id: str
    entries: list[HistoryEntry]
    acks: list[AckResult]
