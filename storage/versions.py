"""Data-set version counters: a write bumps one, every process compares it to its cached copy."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import DataVersion

ACCOUNTS = "accounts"  # any account data, tiers and overrides included: cards and answers
ACCOUNT_NAMES = "account_names"  # names, ids, domains: what the fuzzy index holds (rebuilds cost seconds)
DECISIONS = "decisions"
TICKETS = "tickets"


def read_version(session: Session, name: str) -> int:
    value = session.scalar(select(DataVersion.version).where(DataVersion.name == name))
    return value or 0


def bump_version(session: Session, name: str) -> None:
    result = session.execute(
        update(DataVersion).where(DataVersion.name == name).values(version=DataVersion.version + 1)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.add(DataVersion(name=name, version=1))


def read_versions(session: Session) -> dict[str, int]:
    return {name: version for name, version in session.execute(select(DataVersion.name, DataVersion.version))}
