"""What the clients hand the service: pages of remote records, each with the cursor that follows it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class RemoteAccount:
    source_id: str  # the record's id at the source (HubSpot company id, Salesforce Account Id)
    updated_at: datetime | None
    values: Mapping[str, Any]  # field or property name -> raw value, as the API returned it


@dataclass(frozen=True, slots=True)
class Page:
    """Records and the resume point once they are applied (stored in the same transaction)."""

    records: Sequence[Any]
    cursor: str
    total: int | None = None  # how many records the whole run will see, when the API says
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Removed:
    """A batch of (record id, when) archived or deleted at the source, and the marks to save with it
    (e.g. the delete log's high-water mark), so a stop between batches resumes after the last one."""

    records: Sequence[tuple[str, datetime | None]]
    marks: Mapping[str, str] = field(default_factory=dict)
    note: str | None = None  # something the summary should say (a purged delete log)


class AccountSource(Protocol):
    name: str
    token_setting: str
    # How often an incremental run reads the removed records (None: every run); full runs always do.
    removed_every: timedelta | None

    def pages(self, cursor: str | None, full: bool, fields: Sequence[str]) -> Iterator[Page]:
        """Pages of RemoteAccount from `cursor` (None or full: from the start)."""
        ...

    def removed(self, now: datetime, marks: Mapping[str, str]) -> Iterator[Removed]:
        """Batches of records archived or deleted at the source since the marks say (as far back as
        the source keeps them)."""
        ...


@dataclass(frozen=True, slots=True)
class RemoteOrg:
    id: str
    name: str
    external_id: str | None
    domains: tuple[str, ...]
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class RemoteTicket:
    id: str
    organization_id: str | None
    status: str
    priority: str | None
    subject: str
    assignee_id: str | None
    created_at: datetime
    updated_at: datetime
    first_reply_minutes: int | None  # from the ticket's metric set (calendar minutes)
    solved_at: datetime | None
    replies: int


@dataclass(frozen=True, slots=True)
class JobResult:
    """The outcome of one batch write (a Zendesk update_many job, a HubSpot batch update, a Salesforce
    collection update): ids written, and failures with their reason."""

    done: Sequence[str]
    failed: Sequence[tuple[str, str]]


class HelpdeskSource(Protocol):
    name: str

    def organization_pages(self, cursor: str | None, full: bool) -> Iterator[Page]: ...

    def ticket_pages(self, cursor: str | None, full: bool) -> Iterator[Page]: ...

    def set_organization_field(self, field: str, values: Sequence[tuple[str, str]]) -> JobResult: ...
