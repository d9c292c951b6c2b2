"""The objects a running tierbot shares: settings, database, policy, clock and caches."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import select

from bot.accounts.matching import AccountIndex, IndexEntry
from bot.config import Settings
from bot.policy.model import Policy, load_policy
from bot.slack_members import ChannelMembers
from storage.db import Database
from storage.models import Account
from storage.versions import ACCOUNT_NAMES, read_versions

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
T = TypeVar("T")
Versions = tuple[tuple[str, int], ...]
# Entries kept per kind of cached value (the key's first element). Kinds get their own LRU so one
# cannot evict another: a /tier answer and the card inside it are cached apart, and with a single
# 4,096-entry LRU, 3,000 hot queries plus their cards evicted each other on every pass.
CACHE_SIZES = {"answer": 8192, "card": 4096}  # answers are ASCII JSON strings, ~1.8 KB each
DEFAULT_CACHE_SIZE = 1024


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    db: Database
    policy: Policy
    clock: Clock = system_clock
    # How long a process trusts its caches before asking the database for the data versions: a write
    # in another process (an import, a decision, an override) shows up here within this many seconds.
    version_ttl: float = 1.0
    # After an import, rebuild the account index in a background thread and keep answering from the
    # previous one meanwhile (a build takes seconds: in the request, it would outlast Slack's 3 s).
    # Off by default so tests and one-shot commands see every write at once.
    rebuild_in_background: bool = False
    # Who is in which channel, asked of Slack for /digest's permission checks and kept a minute.
    channel_members: ChannelMembers = field(default_factory=ChannelMembers, repr=False)
    _versions: Versions = field(default=(), init=False, repr=False)
    _checked_at: float = field(default=-1e9, init=False, repr=False)
    _index: AccountIndex | None = field(default=None, init=False, repr=False)
    _index_version: int = field(default=-1, init=False, repr=False)
    _rebuilding: bool = field(default=False, init=False, repr=False)
    _caches: dict[str, OrderedDict[Any, Any]] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _build_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock = system_clock, migrate: bool = True) -> Services:
        """The services of a running tierbot (server, console, commands)."""
        policy = load_policy(settings.tier_policy_file)  # fails at start-up, never at the first lookup
        db = Database(settings.database_url)
        if migrate:
            db.ensure_schema()
        return cls(settings=settings, db=db, policy=policy, clock=clock, rebuild_in_background=True)

    def __deepcopy__(self, memo: dict[int, Any]) -> Services:
        # Bolt deep-copies a request's context for its lazy listeners; the services in it are shared
        # by design (one database pool, one cache), so the copy is this same object.
        return self

    def versions(self) -> Versions:
        """Every data set's version, read from the database at most once per `version_ttl`."""
        now = time.monotonic()
        if now - self._checked_at >= self.version_ttl:
            with self.db.session() as session:
                versions = tuple(sorted(read_versions(session).items()))
            with self._lock:
                if versions != self._versions:
                    self._caches.clear()
                self._versions = versions
                self._checked_at = now
        return self._versions

    def account_index(self) -> AccountIndex:
        """The account index, rebuilt when any process changed names, ids or domains (imports).

        Built outside the lock and swapped in: other threads keep answering from the old index.
        """
        version = dict(self.versions()).get(ACCOUNT_NAMES, 0)
        index = self._index
        if index is not None and version == self._index_version:
            return index
        if index is not None and self.rebuild_in_background:
            self._rebuild_soon(version)
            return index
        return self._rebuild(version)

    @property
    def index_version(self) -> int:
        """The ACCOUNT_NAMES version the index in use was built from: answers that depend on matching
        are cached under it, so none computed from a stale index outlives the swap."""
        return self._index_version

    def _rebuild(self, version: int) -> AccountIndex:
        with self._build_lock:  # one build at a time; the others wait here, not on `_lock`
            if self._index is not None and version == self._index_version:
                return self._index
            with self.db.session() as session:
                rows = session.execute(
                    select(Account.id, Account.name, Account.external_id, Account.domain)
                ).all()
            built = AccountIndex.build(IndexEntry(r[0], r[1], r[2], r[3]) for r in rows)
            self._index, self._index_version = built, version
            return built

    def _rebuild_soon(self, version: int) -> None:
        with self._lock:
            if self._rebuilding:
                return
            self._rebuilding = True

        def run() -> None:
            try:
                self._rebuild(version)
            except Exception:  # the database went away: the next lookup tries again
                log.exception("account index rebuild failed")
            finally:
                self._rebuilding = False

        threading.Thread(target=run, name="account-index-rebuild", daemon=True).start()

    def cached(self, key: tuple[Any, ...], now: datetime, make: Callable[[], tuple[T, datetime | None]]) -> T:
        """A value computed once per data version; `make` also says until when it holds (None: for as
        long as the data do), so values that move with the clock expire and the rest do not.

        `key[0]` names the kind of value, which has its own LRU (CACHE_SIZES)."""
        kind = key[0]
        full_key = (key, self.versions())
        with self._lock:
            lru = self._caches.get(kind)
            hit = lru.get(full_key) if lru is not None else None
            if lru is not None and hit is not None and (hit[1] is None or now < hit[1]):
                lru.move_to_end(full_key)
                return hit[0]
        value, until = make()
        with self._lock:
            lru = self._caches.setdefault(kind, OrderedDict())
            lru[full_key] = (value, until)
            lru.move_to_end(full_key)
            if len(lru) > CACHE_SIZES.get(kind, DEFAULT_CACHE_SIZE):
                lru.popitem(last=False)
        return value

    def invalidate(self) -> None:
        """Forget caches now (the writing process need not wait for the version TTL)."""
        self._checked_at = -1e9
