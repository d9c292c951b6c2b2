"""What the decisions use cases return: typed results and refusals, plain values only.

Refusals are data: a view says them (`bot.views.decision_record.refusal_text`), mentioning the owner,
escaping what needs it. `message` is set only for state refusals, whose plain-text reason (ids, states,
ISO dates, no markup) comes from `bot.decisions.lifecycle`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.decisions.drafts import DraftState
from bot.decisions.listing import ListFilter, RecordLine
from bot.decisions.scenarios import Target
from bot.decisions.snapshot import RecordSnapshot
from bot.schedule.ledger import DeliveryKey


class RefusalKind(StrEnum):
    NOT_FOUND = "not_found"  # no such record
    NOT_ALLOWED = "not_allowed"  # neither the owner nor an admin
    TRANSITION = "transition"  # the record's state does not allow it (`message` says why)
    INVALID = "invalid"  # the framework's refusals, by field (`errors`)
    EXPIRED = "expired"  # the draft is gone (swept, never there, or someone else's)


@dataclass(frozen=True)
class Refused:
    kind: RefusalKind
    decision_id: int | None = None
    owner: str | None = None  # NOT_ALLOWED: who may change it (with the admins)
    message: str = ""  # TRANSITION: why, in plain text
    field: str | None = None  # TRANSITION: the input to flag, if any
    errors: Mapping[str, str] = dataclasses.field(default_factory=dict)  # INVALID: field -> message


@dataclass(frozen=True)
class Duplicate:
    """A double click or a retry: the first submission did the work (its record, when known)."""

    decision_id: int | None = None


@dataclass(frozen=True)
class Committed:
    """A draft stored as a record, and what to post: the record to the first of `post_to` (none for an
    edit), and the records whose posted message must be brought up to date. `deliveries` are the ledger
    rows queued for those posts in the same transaction, for the caller to attempt at once."""

    record: RecordSnapshot
    post_to: tuple[str, ...]
    refresh: tuple[RecordSnapshot, ...]
    deliveries: tuple[DeliveryKey, ...] = ()


@dataclass(frozen=True)
class Changed:
    """A record reviewed or reversed; its posted message shows the old state until it is updated (the
    ledger row in `deliveries`, queued with the change)."""

    record: RecordSnapshot
    deliveries: tuple[DeliveryKey, ...] = ()


@dataclass(frozen=True)
class DraftOpened:
    draft_id: str
    state: DraftState


@dataclass(frozen=True)
class RecordView:
    record: RecordSnapshot
    can_change: bool


@dataclass(frozen=True)
class ReviewForm:
    record: RecordSnapshot
    next_review: date | None  # the default offered; None when the horizon leaves no room


@dataclass(frozen=True)
class Listing:
    lines: tuple[RecordLine, ...]
    total: int  # up to COUNT_CAP + 1
    status: ListFilter
    scope: str | None = None  # the tier or account the list is about, as plain text


@dataclass(frozen=True)
class ScopeUnknown:
    """`/decision list … X` where X names no tier or account, or several accounts (`candidates`)."""

    query: str
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class HomeLists:
    due: tuple[RecordLine, ...]
    due_total: int
    open: tuple[RecordLine, ...]
    open_total: int


@dataclass(frozen=True)
class Attached:
    """A scenario attached as evidence: to a draft (`draft`: its state now) or to a record (`record`,
    with the ledger row that brings its posted message up to date)."""

    target: Target
    record: RecordSnapshot | None = None
    deliveries: tuple[DeliveryKey, ...] = ()
