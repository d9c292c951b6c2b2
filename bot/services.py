"""The objects a running tierbot shares: settings, database, policy, clock and caches."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from bot.accounts.matching import AccountIndex, IndexEntry
from bot.config import Settings
from bot.policy.model import Policy, load_policy
from storage.db import Database
from storage.models import Account
from storage.versions import ACCOUNTS, read_version

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    db: Database
    policy: Policy
    clock: Clock = system_clock
    # How long a process trusts its cached account index before asking the database for the version.
    version_ttl: float = 1.0
    _index: AccountIndex | None = field(default=None, init=False, repr=False)
    _index_version: int = field(default=-1, init=False, repr=False)
    _checked_at: float = field(default=0.0, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock = system_clock, migrate: bool = True) -> Services:
        policy = load_policy(settings.tier_policy_file)  # fails at start-up, never at the first lookup
        db = Database(settings.database_url)
        if migrate:
            db.ensure_schema()
        return cls(settings=settings, db=db, policy=policy, clock=clock)

    def account_index(self) -> AccountIndex:
        """The account index, rebuilt when another process (an import, an override) bumped the version."""
        now = time.monotonic()
        if self._index is not None and now - self._checked_at < self.version_ttl:
            return self._index
        with self._lock:
            with self.db.session() as session:
                version = read_version(session, ACCOUNTS)
                if self._index is None or version != self._index_version:
                    rows = session.execute(
                        select(Account.id, Account.name, Account.external_id, Account.domain)
                    ).all()
                    self._index = AccountIndex.build(IndexEntry(r[0], r[1], r[2], r[3]) for r in rows)
                    self._index_version = version
            self._checked_at = time.monotonic()
            return self._index

    def invalidate(self) -> None:
        """Forget caches now (the writing process need not wait for the version TTL)."""
        self._checked_at = 0.0
