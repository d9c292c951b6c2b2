"""One ticket CSV row: finding its account and validating its fields together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.sla.clock import is_solved
from bot.text import normalize
from bot.tickets.parsing import (
    BadValue,
    parse_count,
    parse_csat,
    parse_severity,
    parse_status,
    parse_text,
    parse_time,
)
from storage.models import Account
from storage.models.tickets import SUBJECT_LENGTH


@dataclass(slots=True)
class TicketRow:
    line: int
    id: str
    account_id: int
    severity: str
    status: str
    subject: str
    assignee: str | None
    created_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    handle_minutes: int
    agent_replies: int
    csat: int | None


def _add(table: dict[str, int], key: str, account_id: int) -> None:
    """key -> account id, or -n once n accounts share the key."""
    found = table.get(key)
    table[key] = account_id if found is None else (-2 if found > 0 else found - 1)


class AccountLookup:
    """Accounts by external id, then by exact name, loaded in one query. The fallback tables (names,
    case-folded ids, normalised names) are built on the first cell that is not an exact external id,
    so the usual file, which names accounts by id, costs one dict lookup per row."""

    def __init__(self, session: Session) -> None:
        self.by_external: dict[str, int] = {}
        self.tier: dict[int, str] = {}
        self._rows = (
            session.connection()
            .execute(select(Account.id, Account.external_id, Account.name, Account.name_key, Account.tier))
            .all()
        )
        for account_id, external_id, _, _, tier in self._rows:
            self.tier[account_id] = tier
            if external_id:
                self.by_external[external_id] = account_id
        self._fallbacks: list[tuple[dict[str, int], str]] | None = None

    def _build_fallbacks(self) -> list[tuple[dict[str, int], str]]:
        by_name: dict[str, int] = {}
        by_folded: dict[str, int] = {}
        by_key: dict[str, int] = {}
        for account_id, external_id, name, name_key, _ in self._rows:
            _add(by_name, name, account_id)
            _add(by_key, name_key, account_id)
            if external_id:
                _add(by_folded, external_id.casefold(), account_id)
        return [(by_name, "name"), (by_folded, "external id"), (by_key, "name")]

    def find(self, text: str) -> int:
        found = self.by_external.get(text)
        if found is not None:
            return found
        if not text:
            raise BadValue("account is empty")
        if self._fallbacks is None:
            self._fallbacks = self._build_fallbacks()
        for (table, how), key in zip(self._fallbacks, (text, text.casefold(), normalize(text)), strict=True):
            found = table.get(key)
            if found is not None and found > 0:
                return found
            if found is not None:
                raise BadValue(f"account {text!r} matches {-found} accounts by {how}; use the external id")
        raise BadValue(f"unknown account {text!r} (no account has that external id or name)")


def parse_ticket(line: int, v: dict[str, str], accounts: AccountLookup, notes: list[int]) -> TicketRow:
    problems: list[str] = []

    def field(parse: Any, *args: Any) -> Any:
        try:
            return parse(*args)
        except BadValue as exc:
            problems.append(str(exc))
            return None

    ticket_id = field(parse_text, "id", v["id"], 64)
    if ticket_id == "":
        problems.append("id is empty")
    account_id = field(accounts.find, v["account"])
    severity = field(parse_severity, v["severity"])
    status = field(parse_status, v["status"])
    created = field(parse_time, "created_at", v["created_at"], True)
    responded = field(parse_time, "first_response_at", v.get("first_response_at", ""))
    solved = field(parse_time, "solved_at", v.get("solved_at", ""))
    handle = field(parse_count, "handle_minutes", v.get("handle_minutes", ""))
    replies = field(parse_count, "agent_replies", v.get("agent_replies", ""))
    csat = field(parse_csat, v.get("csat", ""))
    assignee = field(parse_text, "assignee", v.get("assignee", ""), 255)
    subject = v.get("subject", "")
    if len(subject) > SUBJECT_LENGTH:
        subject = subject[: SUBJECT_LENGTH - 1] + "…"
        notes.append(line)
    if created is not None:
        if responded is not None and responded < created:
            problems.append("first_response_at is before created_at")
        if solved is not None and solved < created:
            problems.append("solved_at is before created_at")
    solved_unreadable = any(p.startswith("solved_at") for p in problems)
    if status is not None and is_solved(status) and solved is None and not solved_unreadable:
        problems.append(f"status {status} needs a solved_at time")
    if problems:
        raise BadValue("; ".join(problems))
    return TicketRow(line, ticket_id, account_id, severity, status, subject, assignee or None, created,
                     responded, solved, handle, replies, csat)  # fmt: skip
