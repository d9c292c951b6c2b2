"""Shared helpers for the accounts importer tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.accounts.importer import ImportReport, import_accounts
from bot.policy.model import Policy
from storage.db import Database
from storage.models import Account, TierChange
from storage.versions import ACCOUNTS, read_version

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def write(tmp_path: Path, text: str, name: str = "accounts.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def run(db: Database, policy: Policy, path: Path, **kwargs: object) -> ImportReport:
    return import_accounts(db, policy, path, now=NOW, **kwargs)  # type: ignore[arg-type]


def accounts(db: Database) -> dict[str, Account]:
    with db.session() as session:
        return {a.name: a for a in session.scalars(select(Account))}


def history(db: Database) -> list[TierChange]:
    with db.session() as session:
        return list(session.scalars(select(TierChange).order_by(TierChange.id)))


def count_accounts(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Account)) or 0


def lines_of(report: ImportReport) -> list[int | None]:
    return [e.line for e in report.errors]


def read_version_now(db: Database) -> int:
    with db.session() as session:
        return read_version(session, ACCOUNTS)
